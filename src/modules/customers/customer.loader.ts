import { In } from 'typeorm';
import { byIdRelation } from '../../core/graphql/relations';
import { Customer } from './customer.entity';

/** Customers by id for relation fields (Ticket.customer, Quote.customer, …): one query per batch. */
export const customerById = byIdRelation((manager, ids) => manager.findBy(Customer, { id: In([...ids]) }));
