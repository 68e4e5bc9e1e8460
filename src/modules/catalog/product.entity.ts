import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Timestamped } from '../../core/database/timestamped.entity';
import { DecimalScalar } from './decimal';

/** A tenant's catalog item. Money columns are PostgreSQL numeric, read and written as strings. */
@ObjectType()
@Entity({ name: 'products' })
export class Product extends Timestamped {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ length: 200 })
  name: string;

  @Field({ description: 'Unique per tenant, case-insensitive' })
  @Column({ length: 64 })
  sku: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Field(() => DecimalScalar, { description: 'Price of one unit, 2 decimal places' })
  @Column({ name: 'unit_price', type: 'numeric', precision: 14, scale: 2 })
  unitPrice: string;

  @Field({ description: 'ISO 4217 code, e.g. NPR' })
  @Column({ type: 'char', length: 3 })
  currency: string;

  @Field({ description: 'What one unit is, e.g. hour, metre, piece' })
  @Column({ length: 40 })
  unit: string;

  @Field(() => DecimalScalar, { description: 'Tax rate in percent, up to 3 decimal places (13.000 = 13%)' })
  @Column({ name: 'tax_rate', type: 'numeric', precision: 6, scale: 3 })
  taxRate: string;

  @Field({ description: "The tenant's own product or service (preferred when quotes are generated), not a resold one" })
  @Column({ name: 'is_own_product' })
  isOwnProduct: boolean;

  @Field()
  @Column()
  active: boolean;
}
