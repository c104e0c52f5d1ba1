import { BaseLlm, type BaseLlmConnection, type LlmRequest, type LlmResponse } from '@google/adk';
import type { Content } from '@google/genai';

/** Decides the model's next response from the request, deterministically. */
export type Script = (request: LlmRequest) => LlmResponse;

/** An offline BaseLlm whose answers come from a script: no network, same output every run. */
export class ScriptedLlm extends BaseLlm {
  readonly requests: LlmRequest[] = [];
  constructor(private readonly script: Script) {
    super({ model: 'scripted' });
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- BaseLlm's contract is an async generator; a script answers at once
  override async *generateContentAsync(request: LlmRequest): AsyncGenerator<LlmResponse, void> {
    this.requests.push(request);
    yield this.script(request);
  }
  override connect(): Promise<BaseLlmConnection> {
    throw new Error('ScriptedLlm does not support live connections');
  }
}

export function lastContent(request: LlmRequest): Content | undefined {
  return request.contents.at(-1);
}

export function lastUserText(request: LlmRequest): string {
  for (let i = request.contents.length - 1; i >= 0; i--) {
    const c = request.contents[i]!;
    const text = c.parts?.find((p) => typeof p.text === 'string')?.text;
    if (c.role === 'user' && text) return text;
  }
  return '';
}
