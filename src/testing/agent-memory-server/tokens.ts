/**
 * Token counts as the real server makes them: tiktoken's cl100k_base (`api.py`
 * `_count_text_tokens`; the harness gives the server the encoding file LiteLLM ships, as a server
 * with internet access downloads it). Loaded on first use (about half a second).
 */
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';

let encoding: Tiktoken | undefined;
/** Counts already made: the server counts every message of a document on every PUT. */
const counted = new Map<string, number>();
const COUNTED_MAX = 20_000;

export function countTokens(text: string): number {
  let n = counted.get(text);
  if (n === undefined) {
    encoding ??= new Tiktoken(cl100kBase);
    n = encoding.encode(text).length;
    if (counted.size >= COUNTED_MAX) counted.delete(counted.keys().next().value!);
    counted.set(text, n);
  }
  return n;
}
