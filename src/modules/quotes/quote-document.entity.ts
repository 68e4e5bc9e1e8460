import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum QuoteDocumentType {
  QUOTE = 'QUOTE',
  SCOPE_OF_WORK = 'SCOPE_OF_WORK',
  TERMS_AND_CONDITIONS = 'TERMS_AND_CONDITIONS',
  COVER_LETTER = 'COVER_LETTER',
}

registerEnumType(QuoteDocumentType, { name: 'QuoteDocumentType' });

/** One immutable version of a quote document: never updated, a change inserts the next version. */
@ObjectType()
@Entity({ name: 'quote_document_versions' })
export class QuoteDocumentVersion {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'quote_id', type: 'uuid' })
  quoteId: string;

  @Column({ type: 'varchar', length: 30 })
  type: QuoteDocumentType;

  @Field(() => Int)
  @Column('int')
  version: number;

  @Field()
  @Column('text')
  content: string;

  @Field({ description: 'Who wrote this version: user:<id>, api-key:<id>, platform-admin or system' })
  @Column({ name: 'created_by', length: 80 })
  createdBy: string;

  @Field()
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}

/** A document with its whole history, oldest version first. */
@ObjectType()
export class QuoteDocument {
  @Field(() => QuoteDocumentType)
  type: QuoteDocumentType;

  @Field(() => Int)
  currentVersion: number;

  @Field({ description: 'Content of the current version' })
  content: string;

  @Field(() => [QuoteDocumentVersion])
  versions: QuoteDocumentVersion[];
}
