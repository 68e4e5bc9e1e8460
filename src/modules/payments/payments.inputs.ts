import { IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PlanCode, Subscription } from '../plans';
import { PaymentProvider, PaymentTransaction } from './payment-transaction.entity';

@ObjectType({ description: 'A card saved with Stripe' })
export class PaymentMethod {
  @Field(() => ID)
  id: string;

  @Field()
  brand: string;

  @Field()
  last4: string;

  @Field(() => Int)
  expMonth: number;

  @Field(() => Int)
  expYear: number;

  @Field({ description: 'Subscription invoices are charged to this card' })
  isDefault: boolean;
}

@ObjectType({ description: 'Hand the client secret to Stripe.js (confirmSetup) to save a card without charging it' })
export class SetupIntentPayload {
  @Field()
  setupIntentId: string;

  @Field()
  clientSecret: string;
}

@ObjectType()
export class PlanChangePayload {
  @Field(() => PlanCode)
  requestedPlan: PlanCode;

  @Field(() => String, { nullable: true })
  stripeSubscriptionId: string | null;

  @Field(() => String, { nullable: true, description: "Stripe's subscription status (active, incomplete, canceled…)" })
  stripeStatus: string | null;

  @Field(() => Subscription, {
    description: 'The plan as it is now: a paid plan becomes active when Stripe reports its invoice paid',
  })
  subscription: Subscription;
}

@ObjectType()
export class PaymentFormField {
  @Field()
  name: string;

  @Field()
  value: string;
}

@ObjectType({
  description: 'Where to send the payer: GET `url` (Khalti), or POST `formFields` to `url` as a form (eSewa)',
})
export class PaymentRedirect {
  @Field(() => PaymentTransaction)
  transaction: PaymentTransaction;

  @Field({ description: 'GET or POST' })
  method: string;

  @Field()
  url: string;

  @Field(() => String, { nullable: true, description: "Khalti's payment id (also in the return URL)" })
  pidx: string | null;

  @Field(() => [PaymentFormField])
  formFields: PaymentFormField[];
}

@InputType()
export class InitiatePaymentInput {
  @Field(() => PaymentProvider, { description: 'KHALTI or ESEWA (cards go through changePlan)' })
  provider: PaymentProvider;

  @Field(() => PlanCode)
  plan: PlanCode;

  @Field(() => String, {
    nullable: true,
    description: 'One per payment attempt: repeating it returns the same payment instead of starting another',
  })
  @IsOptional()
  @Length(8, 100)
  @Matches(/^[A-Za-z0-9_.:-]+$/, { message: 'idempotencyKey may hold letters, digits and _ . : - only' })
  idempotencyKey?: string | null;
}

@InputType({ description: 'What the gateway put in the return URL: `pidx` for Khalti, `data` for eSewa' })
export class VerifyPaymentInput {
  @Field(() => PaymentProvider)
  provider: PaymentProvider;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  pidx?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(4000)
  data?: string | null;
}
