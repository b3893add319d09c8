import type { Price } from '../../core/config.ts';

/**
 * Estimated list prices in USD per million tokens, used when the config's `prices` table has no
 * entry. They are estimates: set `prices` in aifactory.config.ts to your actual rates.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gemini-2.5-pro': { input_per_mtok: 1.25, output_per_mtok: 10 },
  'gemini-2.5-flash': { input_per_mtok: 0.3, output_per_mtok: 2.5 },
  'gpt-5-mini': { input_per_mtok: 0.25, output_per_mtok: 2 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6 },
  'grok-4-fast': { input_per_mtok: 0.2, output_per_mtok: 0.5 },
  'grok-3-mini': { input_per_mtok: 0.3, output_per_mtok: 0.5 },
};

/**
 * What a model nobody priced is charged: the highest built-in input and output prices, so a cap
 * still holds for a model the factory knows nothing about (it is never free by accident).
 */
export const UNKNOWN_MODEL_PRICE: Price = {
  input_per_mtok: Math.max(...Object.values(DEFAULT_PRICES).map((price) => price.input_per_mtok)),
  output_per_mtok: Math.max(...Object.values(DEFAULT_PRICES).map((price) => price.output_per_mtok)),
};

/** A dated snapshot or alias of a model: `gpt-5-mini-2025-08-07`, `gpt-4o-20240513`, `…-latest`. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** `table[key]`, only when the table itself holds it (never `constructor`, `toString`, … of Object). */
function own(table: Readonly<Record<string, Price>>, key: string): Price | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The price of a model as requested: the config's `provider:model`, then its `model`, then the
 * built-in estimate; a dated snapshot name falls back to its base model. `undefined` when nobody
 * priced it.
 */
export function findPrice(
  prices: Readonly<Record<string, Price>>,
  provider: string,
  model: string,
): Price | undefined {
  const names = SNAPSHOT_SUFFIX.test(model) ? [model, model.replace(SNAPSHOT_SUFFIX, '')] : [model];
  for (const name of names) {
    const price = own(prices, `${provider}:${name}`) ?? own(prices, name) ?? own(DEFAULT_PRICES, name);
    if (price) return price;
  }
  return undefined;
}
