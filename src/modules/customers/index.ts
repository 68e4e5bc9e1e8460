export { Customer } from './customer.entity';
export { CustomerService } from './customer.service';
export { CustomerResolver } from './customer.resolver';
