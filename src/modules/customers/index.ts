export { Customer } from './customer.entity';
export { CustomerService } from './customer.service';
export { CustomerResolver } from './customer.resolver';
export { customerById } from './customer.loader';
export { CustomerConnectionResolver } from './customer-connection.resolver';
