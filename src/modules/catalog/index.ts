export { Product } from './product.entity';
export { ProductService, addFirstProductStep } from './product.service';
export { ProductResolver } from './product.resolver';
export { DecimalScalar, fromScaled, roundHalfUp, toScaled } from './decimal';
