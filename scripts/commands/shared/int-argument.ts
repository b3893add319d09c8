/** Whole-number flags, read by commander: kept apart so a light command needs no engine to parse one. */
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return number;
}
