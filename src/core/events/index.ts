export {
  DOMAIN_EVENTS,
  eventInsert,
  eventRecorded,
  recordEvent,
  setEventActor,
  type DomainEventType,
  type EventActor,
  type FieldChange,
  type NewDomainEvent,
} from './domain-event';
export { fieldChanges, statusChange } from './field-changes';
export {
  changedByHooks,
  isAutomaticInbound,
  markAutomaticInbound,
  registerEventHook,
  type EventHook,
} from './event-hooks';
