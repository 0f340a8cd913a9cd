/** `larger` (a new, longer typed array) holding `values` at its start: a column grown in place of `values`. */
export function grown<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(
  values: T,
  larger: T,
): T {
  larger.set(values as never);
  return larger;
}
