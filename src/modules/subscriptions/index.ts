export { EventSubscriptionResolver, type SubscriptionContext } from './event-subscription.resolver';
export { EventSubscriptionService } from './event-subscription.service';
