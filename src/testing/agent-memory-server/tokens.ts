/**
 * Token counts as the real server makes them: tiktoken's cl100k_base (`api.py`
 * `_count_text_tokens`; the harness gives the server the encoding file LiteLLM ships, as a server
 * with internet access downloads it). Loaded on first use (about half a second).
 */
import { Tiktoken } from 'js-tiktoken/lite';
import cl100kBase from 'js-tiktoken/ranks/cl100k_base';

let encoding: Tiktoken | undefined;

export function countTokens(text: string): number {
  encoding ??= new Tiktoken(cl100kBase);
  return encoding.encode(text).length;
}
