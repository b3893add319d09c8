// Model prices: the built-in estimates, the worst case for an unpriced model, and the lookup by model asked for.
import type { Price } from '../../core/config.ts';

/**
 * Estimated list prices in USD per million tokens, used when the config's `prices` table has no
 * entry; cached input is input the provider read from its prompt cache. They are estimates: set
 * `prices` in aifactory.config.ts to your actual rates.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gemini-2.5-pro': { input_per_mtok: 1.25, output_per_mtok: 10, cached_input_per_mtok: 0.125 },
  'gemini-2.5-flash': { input_per_mtok: 0.3, output_per_mtok: 2.5, cached_input_per_mtok: 0.03 },
  'gpt-5-mini': { input_per_mtok: 0.25, output_per_mtok: 2, cached_input_per_mtok: 0.025 },
  'gpt-4.1-mini': { input_per_mtok: 0.4, output_per_mtok: 1.6, cached_input_per_mtok: 0.1 },
  'grok-4-fast': { input_per_mtok: 0.2, output_per_mtok: 0.5, cached_input_per_mtok: 0.05 },
  'grok-3-mini': { input_per_mtok: 0.3, output_per_mtok: 0.5, cached_input_per_mtok: 0.075 },
};

/**
 * The rate of cached input under `price`: its cached rate, else the input rate. Never above the
 * input rate, so a call never costs more than the budget reserved for it (it reserves all input
 * at the full rate).
 */
export function cachedInputRate(price: Price): number {
  return Math.min(price.cached_input_per_mtok ?? price.input_per_mtok, price.input_per_mtok);
}

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
