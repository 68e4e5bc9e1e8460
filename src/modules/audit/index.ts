export { AuditActorResolver, AuditLogResolver } from './audit.resolver';
export { AuditService } from './audit.service';
