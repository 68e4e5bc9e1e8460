import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, PrimaryGeneratedColumn } from 'typeorm';
import { DecimalScalar } from '../catalog';

/** An amount of money: numeric(16, 2), read and served as an exact decimal string. */
export const Money =
  (description?: string): PropertyDecorator =>
  (target, key) => {
    Field(() => DecimalScalar, { description })(target, key);
    Column({ type: 'numeric', precision: 16, scale: 2 })(target, key);
  };

/** A priced line (quote, contract, invoice); subclasses add the owner column and their table. */
@ObjectType('PricedLineBase')
export abstract class PricedLine {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field(() => Int, { description: '1-based order' })
  @Column('int')
  position: number;

  @Field(() => ID, { nullable: true })
  @Column({ name: 'product_id', type: 'uuid', nullable: true })
  productId: string | null;

  @Field()
  @Column('text')
  description: string;

  @Field(() => DecimalScalar)
  @Column({ type: 'numeric', precision: 14, scale: 3 })
  quantity: string;

  @Field(() => DecimalScalar)
  @Column({ name: 'unit_price', type: 'numeric', precision: 14, scale: 2 })
  unitPrice: string;

  @Field(() => DecimalScalar, { description: 'Percent' })
  @Column({ name: 'discount_percent', type: 'numeric', precision: 6, scale: 3 })
  discountPercent: string;

  @Field(() => DecimalScalar, { description: 'Percent' })
  @Column({ name: 'tax_rate', type: 'numeric', precision: 6, scale: 3 })
  taxRate: string;

  @Money('quantity × unitPrice, rounded') subtotal: string;
  @Money() discount: string;
  @Money() tax: string;
  @Money() total: string;
}
