import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'One item of the onboarding checklist' })
export class OnboardingStepStatus {
  @Field({ description: 'Stable identifier, e.g. create-api-key; what markOnboardingStep takes' })
  key: string;

  @Field()
  title: string;

  @Field()
  completed: boolean;

  @Field(() => Date, { nullable: true })
  completedAt: Date | null;

  @Field({
    description: 'True when only a person can tell (markOnboardingStep); false when it follows what was set up',
  })
  manual: boolean;
}

@ObjectType({ description: "The organization's setup checklist" })
export class OnboardingStatus {
  @Field({ description: 'Every step done (once true it stays true, even when steps are added later)' })
  completed: boolean;

  @Field(() => Date, { nullable: true })
  completedAt: Date | null;

  @Field(() => Int, { description: 'Steps done, in percent of all steps (0 to 100)' })
  completionPercentage: number;

  @Field(() => [OnboardingStepStatus])
  steps: OnboardingStepStatus[];
}
