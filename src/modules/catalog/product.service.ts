import type { EntityManager } from 'typeorm';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, toConnection } from '../../core/graphql/connection';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { OnboardingStepDefinition } from '../onboarding';
import { fromScaled, toScaled } from './decimal';
import { Product } from './product.entity';
import type { CreateProductInput, UpdateProductInput } from './product.inputs';

export interface ProductListOptions {
  first: number;
  after?: string;
  search?: string;
  active?: boolean;
  withTotalCount?: boolean;
}

const PRICE_SCALE = 2;
const TAX_RATE_SCALE = 3;
const MAX_PRICE = 10n ** 12n * 10n ** BigInt(PRICE_SCALE); // numeric(14, 2)
const HUNDRED_PERCENT = 100n * 10n ** BigInt(TAX_RATE_SCALE);

function unitPriceOf(value: string): string {
  const scaled = toScaled(value, PRICE_SCALE, 'unitPrice');
  if (scaled < 0n || scaled >= MAX_PRICE)
    throw new BadUserInputError('unitPrice must be between 0 and 999999999999.99', {
      reason: 'OUT_OF_RANGE',
      field: 'unitPrice',
    });
  return fromScaled(scaled, PRICE_SCALE);
}

function taxRateOf(value: string): string {
  const scaled = toScaled(value, TAX_RATE_SCALE, 'taxRate');
  if (scaled < 0n || scaled > HUNDRED_PERCENT)
    throw new BadUserInputError('taxRate must be between 0 and 100 percent', {
      reason: 'OUT_OF_RANGE',
      field: 'taxRate',
    });
  return fromScaled(scaled, TAX_RATE_SCALE);
}

/**
 * The tenant's product catalog. Prices are validated and normalised as exact decimal strings
 * (never JS numbers); a duplicate SKU is a unique violation, answered with CONFLICT.
 */
export class ProductService {
  async create(em: EntityManager, input: CreateProductInput): Promise<Product> {
    const product = em.create(Product, {
      name: input.name.trim(),
      sku: input.sku,
      description: input.description ?? null,
      unitPrice: unitPriceOf(input.unitPrice),
      currency: input.currency,
      unit: input.unit?.trim() || 'unit',
      taxRate: taxRateOf(input.taxRate ?? '0'),
      isOwnProduct: input.isOwnProduct ?? true,
      active: input.active ?? true,
    });
    return em.save(product);
  }

  async update(em: EntityManager, id: string, input: UpdateProductInput): Promise<Product> {
    const product = await this.get(em, id);
    if (input.name !== undefined) product.name = input.name.trim();
    if (input.sku !== undefined) product.sku = input.sku;
    if (input.description !== undefined) product.description = input.description;
    if (input.unitPrice !== undefined) product.unitPrice = unitPriceOf(input.unitPrice);
    if (input.currency !== undefined) product.currency = input.currency;
    if (input.unit !== undefined) product.unit = input.unit.trim();
    if (input.taxRate !== undefined) product.taxRate = taxRateOf(input.taxRate);
    if (input.isOwnProduct !== undefined) product.isOwnProduct = input.isOwnProduct;
    if (input.active !== undefined) product.active = input.active;
    return em.save(product);
  }

  async get(em: EntityManager, id: string): Promise<Product> {
    const product = isUuid(id) ? await em.findOneBy(Product, { id }) : null;
    if (!product) throw new NotFoundError('Product', id);
    return product;
  }

  /**
   * Keyset page ordered by (createdAt, id), so cursors stay stable while searching. The search
   * matches the generated `search` tsvector (GIN-indexed) with English stemming or exact words.
   */
  async list(em: EntityManager, options: ProductListOptions) {
    const query = em.createQueryBuilder(Product, 'p');
    if (options.search?.trim()) {
      query.andWhere(
        "p.search @@ (websearch_to_tsquery('english', :search) || websearch_to_tsquery('simple', :search))",
        {
          search: options.search.trim(),
        },
      );
    }
    if (options.active !== undefined && options.active !== null)
      query.andWhere('p.active = :active', { active: options.active });
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(p.createdAt, p.id) > (:createdAt, :id)', decodeCursor(options.after));
    const rows = await query
      .orderBy('p.createdAt', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(options.first + 1)
      .getMany();
    return { ...toConnection(rows, options.first), totalCount };
  }
}

/** "Add your first product" follows the catalog: done once any product exists. */
export const addFirstProductStep: OnboardingStepDefinition = {
  key: 'add-first-product',
  title: 'Add your first product',
  completedAt: async (manager) => (await manager.query('SELECT min(created_at) AS at FROM products'))[0].at,
};
