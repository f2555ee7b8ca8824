/** Types for snappyjs 0.7 (the package ships none): Snappy block format, as remote write uses. */
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array;
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array;
}
