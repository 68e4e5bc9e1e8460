import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, ID, Info, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import { TenantManager } from '../../core/tenancy/tenant-request';
import { Product } from './product.entity';
import { CreateProductInput, ProductConnection, ProductsArgs, UpdateProductInput } from './product.inputs';
import { ProductService } from './product.service';

@Resolver(() => Product)
export class ProductResolver {
  constructor(private readonly productService: ProductService) {}

  @Policy(canRead('products'))
  @Query(() => Product)
  product(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Product> {
    return this.productService.get(em, id);
  }

  @Policy(canRead('products'))
  @Query(() => ProductConnection)
  products(
    @TenantManager() em: EntityManager,
    @Args() args: ProductsArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProductConnection> {
    return this.productService.list(em, { ...args, withTotalCount: selectsField(info, 'totalCount') });
  }

  @Policy(canWrite('products'))
  @Mutation(() => Product, { description: 'CONFLICT when the SKU is already used' })
  createProduct(@TenantManager() em: EntityManager, @Arg('input') input: CreateProductInput): Promise<Product> {
    return this.productService.create(em, input);
  }

  @Policy(canWrite('products'))
  @Mutation(() => Product)
  updateProduct(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateProductInput,
  ): Promise<Product> {
    return this.productService.update(em, id, input);
  }
}
