/**
 * Scripted ADK agent programs: every kind of agent ADK 2.0 offers, each with a deterministic
 * offline model, so that any session service can run them and be compared turn by turn with
 * ADK's own services (test/judge/adk-judge.test.ts).
 */
import {
  AgentTool,
  ExitLoopTool,
  FunctionNode,
  FunctionTool,
  JoinNode,
  LlmAgent,
  LlmSummarizer,
  LoadMemoryTool,
  LongRunningFunctionTool,
  LoopAgent,
  ParallelAgent,
  ParallelWorker,
  PreloadMemoryTool,
  RequestInput,
  SequentialAgent,
  TokenBasedContextCompactor,
  Workflow,
  createEvent,
  type BaseAgent,
  type LlmRequest,
  type LlmResponse,
  type Session,
} from '@google/adk';
import type { Content, Part } from '@google/genai';
import { z } from 'zod';
import { ScriptedLlm, lastContent, lastUserText } from '../helpers/scripted-llm.js';

/** What the user sends in a turn: text, or content built from the session as stored (a reply to a pending call). */
export type Turn = string | ((session: Session) => Content);

export interface Built {
  agent: BaseAgent | Workflow;
  /** Every model of the program, whose requests are compared too. */
  models: ScriptedLlm[];
}

export interface Program {
  name: string;
  build(): Built;
  turns: Turn[];
  /** Apps besides the program's own whose sessions of the same id it writes (AgentTool runs its agent under the agent's name). */
  subApps?: string[];
  /** Branches run at once: events are compared per branch, each branch in its order. */
  parallel?: boolean;
  /** Uses a memory service: facts are stored from an earlier session first. */
  memory?: { facts: string[] };
  /** What the program must have done on ADK's own services (so that agreeing with them means something). */
  check?: (session: Session) => void;
}

const text = (t: string): LlmResponse => ({ content: { role: 'model', parts: [{ text: t }] } });
const call = (name: string, args: Record<string, unknown>): LlmResponse => ({ content: { role: 'model', parts: [{ functionCall: { name, args } }] } });
const responded = (req: LlmRequest): { name?: string; response?: Record<string, unknown> } | undefined =>
  lastContent(req)?.parts?.find((p: Part) => p.functionResponse)?.functionResponse;

/** One LlmAgent with function tools writing session, user:, app: and temp: state over several turns. */
const toolsAndState: Program = {
  name: 'LlmAgent with function tools and state deltas',
  turns: ['Hello coach', 'My goal is a sub-50 10k', 'Log a 5k tempo run', 'What next?'],
  build() {
    const model = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r) return text(`Done: ${JSON.stringify(r.response)}`);
      const said = lastUserText(req);
      const goal = /my goal is (.+)/i.exec(said)?.[1];
      if (goal) return call('save_goal', { goal });
      const run = /log a (.+)/i.exec(said)?.[1];
      if (run) return call('log_run', { run });
      return text(`You said: ${said}`);
    });
    const saveGoal = new FunctionTool({
      name: 'save_goal',
      description: 'Records the goal.',
      parameters: z.object({ goal: z.string() }),
      execute: ({ goal }, ctx) => {
        ctx?.state.set('goal', goal);
        ctx?.state.set('user:latest_goal', goal);
        ctx?.state.set('app:goals_set', true);
        ctx?.state.set('temp:scratch', 'never stored');
        return Promise.resolve({ saved: goal });
      },
    });
    const logRun = new FunctionTool({
      name: 'log_run',
      description: 'Logs a run.',
      parameters: z.object({ run: z.string() }),
      execute: ({ run }, ctx) => {
        const runs = (ctx?.state.get<string[]>('runs') ?? []).concat(run);
        ctx?.state.set('runs', runs);
        return Promise.resolve({ runs: runs.length });
      },
    });
    return { agent: new LlmAgent({ name: 'coach', model, instruction: 'Coach the runner.', tools: [saveGoal, logRun] }), models: [model] };
  },
};

/** AgentTool, nested two deep: each runs its agent through the same session service, as another app with the caller's session id. */
const agentTools: Program = {
  name: 'AgentTool nested two deep',
  turns: ['Plan a long run', 'Plan a swim'],
  subApps: ['researcher', 'fact_checker'],
  build() {
    const checkerModel = new ScriptedLlm((req) => text(`checked(${lastUserText(req)})`));
    const checker = new LlmAgent({ name: 'fact_checker', description: 'Checks a claim.', model: checkerModel, instruction: 'Check.', outputKey: 'last_check' });
    const researcherModel = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r) return text(`Researched: ${JSON.stringify(r.response)}`);
      return call('fact_checker', { request: `check ${lastUserText(req)}` });
    });
    const researcher = new LlmAgent({
      name: 'researcher',
      description: 'Researches.',
      model: researcherModel,
      instruction: 'Research.',
      tools: [new AgentTool({ agent: checker })],
    });
    const plannerModel = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r) return text(`Plan: ${JSON.stringify(r.response)}`);
      return call('researcher', { request: lastUserText(req) });
    });
    const planner = new LlmAgent({ name: 'planner', model: plannerModel, instruction: 'Plan.', tools: [new AgentTool({ agent: researcher })] });
    return { agent: planner, models: [plannerModel, researcherModel, checkerModel] };
  },
};

/** Transfer between sub-agents, and the next turn resuming on the agent transferred to. */
const transfer: Program = {
  name: 'transfer between sub-agents',
  turns: ['A question about my bill', 'And the refund?', 'Thanks'],
  build() {
    const billingModel = new ScriptedLlm((req) => text(`billing: ${lastUserText(req)}`));
    const supportModel = new ScriptedLlm((req) => text(`support: ${lastUserText(req)}`));
    const deskModel = new ScriptedLlm((req) => {
      if (responded(req)) return text('Transferred.');
      const said = lastUserText(req);
      return said.includes('bill') ? call('transfer_to_agent', { agentName: 'billing' }) : text(`desk: ${said}`);
    });
    const billing = new LlmAgent({ name: 'billing', description: 'Bills and refunds.', model: billingModel, instruction: 'Billing.' });
    const support = new LlmAgent({ name: 'support', description: 'Everything else.', model: supportModel, instruction: 'Support.' });
    const desk = new LlmAgent({ name: 'desk', model: deskModel, instruction: 'Route.', subAgents: [billing, support] });
    return { agent: desk, models: [deskModel, billingModel, supportModel] };
  },
};

/** SequentialAgent of a ParallelAgent (two branches appending at once) and a LoopAgent ended by ExitLoopTool. */
const workflowAgents: Program = {
  name: 'SequentialAgent, ParallelAgent and LoopAgent with ExitLoopTool',
  turns: ['Start the pipeline', 'Again'],
  parallel: true,
  build() {
    const aModel = new ScriptedLlm((req) => text(`a saw: ${lastUserText(req)}`));
    const bModel = new ScriptedLlm((req) => text(`b saw: ${lastUserText(req)}`));
    const counterModel = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r?.name === 'exit_loop') return text('loop done');
      const count = r?.name === 'increment' ? Number(r.response?.count) : undefined;
      if (count !== undefined && count >= 3) return call('exit_loop', {});
      if (count !== undefined) return text(`count ${count}`);
      return call('increment', {});
    });
    const increment = new FunctionTool({
      name: 'increment',
      description: 'Adds one to the counter.',
      execute: (_args, ctx) => {
        const count = ((ctx?.state.get<number>('count') ?? 0) % 3) + 1;
        ctx?.state.set('count', count);
        return Promise.resolve({ count });
      },
    });
    const fan = new ParallelAgent({
      name: 'fan',
      subAgents: [
        new LlmAgent({ name: 'a', model: aModel, instruction: 'A.', outputKey: 'a_out' }),
        new LlmAgent({ name: 'b', model: bModel, instruction: 'B.', outputKey: 'b_out' }),
      ],
    });
    const loop = new LoopAgent({
      name: 'loop',
      maxIterations: 5,
      subAgents: [new LlmAgent({ name: 'counter', model: counterModel, instruction: 'Count.', tools: [increment, new ExitLoopTool()] })],
    });
    return { agent: new SequentialAgent({ name: 'pipeline', subAgents: [fan, loop] }), models: [aModel, bModel, counterModel] };
  },
};

/** A Workflow with a route, a JoinNode and a ParallelWorker, paused by RequestInput and resumed on the next turn. */
const workflowGraph: Program = {
  name: 'Workflow with a route, JoinNode, ParallelWorker and RequestInput',
  turns: ['a long text', 'yes', 'short one', 'ok'],
  parallel: true,
  build() {
    const classify = new FunctionNode('classify', (_ctx, input: unknown) =>
      createEvent({ route: String(input).includes('long') ? 'long' : 'short', output: String(input) }),
    );
    const upper = new FunctionNode('upper', (_ctx, input: unknown) => String(input).toUpperCase());
    const count = new FunctionNode('count', (_ctx, input: unknown) => String(input).length);
    const split = new FunctionNode('split', (_ctx, input: unknown) => String(input).split(' '));
    const words = new ParallelWorker(new FunctionNode('word', (_ctx, input: unknown) => `<${String(input)}>`));
    const join = new JoinNode({ name: 'join' });
    const confirm = new FunctionNode(
      'confirm',
      function* (ctx, input: unknown) {
        const answer = ctx.resumeInputs['confirm'];
        if (answer === undefined) {
          yield new RequestInput({ interruptId: 'confirm', message: `Confirm ${JSON.stringify(input)}?` });
          return;
        }
        ctx.state.set('confirmed', answer);
        yield { confirmed: answer, input };
      },
      { rerunOnResume: true },
    );
    const edges = [
      ['START', classify, { long: [upper, count], short: split }],
      [upper, join],
      [count, join],
      [split, words],
      [join, confirm],
      [words, confirm],
    ] as ConstructorParameters<typeof Workflow>[0]['edges'];
    return { agent: new Workflow({ name: 'wf', edges: edges! }), models: [] };
  },
};

/** A LongRunningFunctionTool whose result the user sends in a later turn. */
const longRunning: Program = {
  name: 'LongRunningFunctionTool answered in a later turn',
  turns: [
    'Approve my expense of 40 euros',
    (session) => {
      const pending = session.events.flatMap((e) => e.content?.parts ?? []).find((p) => p.functionCall?.name === 'request_approval')!.functionCall!;
      return { role: 'user', parts: [{ functionResponse: { id: pending.id!, name: 'request_approval', response: { status: 'approved', by: 'manager' } } }] };
    },
    'Is it settled?',
  ],
  build() {
    const model = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r?.response?.status === 'pending') return text(`Waiting on ticket ${String(r.response.ticket)}`);
      if (r) return text(`Approval: ${JSON.stringify(r.response)}`);
      const said = lastUserText(req);
      return said.includes('Approve') ? call('request_approval', { amount: 40 }) : text(`You said: ${said}`);
    });
    const approval = new LongRunningFunctionTool({
      name: 'request_approval',
      description: 'Asks a manager to approve an amount.',
      parameters: z.object({ amount: z.number() }),
      execute: () => Promise.resolve({ status: 'pending', ticket: 'T-1' }),
    });
    return { agent: new LlmAgent({ name: 'expenses', model, instruction: 'Handle expenses.', tools: [approval] }), models: [model] };
  },
};

/**
 * A FunctionTool that asks for confirmation: ADK stores `ToolConfirmation` instances in the
 * event's `requestedToolConfirmations` and in the `adk_request_confirmation` call's arguments, the
 * user confirms in the next turn, and the tool then runs (and a second request, refused, does not).
 */
const toolConfirmation: Program = {
  name: 'FunctionTool with requireConfirmation, confirmed and refused in later turns',
  turns: [
    'Transfer 40 euros to Sam',
    (session) => confirmationReply(session, true),
    'Transfer 900 euros to Max',
    (session) => confirmationReply(session, false),
    'Anything else?',
  ],
  build() {
    const model = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r) return text(`Transfer: ${JSON.stringify(r.response)}`);
      const said = lastUserText(req);
      const m = /transfer (\d+) euros to (\w+)/i.exec(said);
      return m ? call('transfer_money', { amount: Number(m[1]), to: m[2] }) : text(`You said: ${said}`);
    });
    const transfer = new FunctionTool({
      name: 'transfer_money',
      description: 'Sends money to someone.',
      parameters: z.object({ amount: z.number(), to: z.string() }),
      requireConfirmation: true,
      execute: ({ amount, to }, ctx) => {
        ctx?.state.set('last_transfer', `${amount} to ${to}`);
        return Promise.resolve({ sent: amount, to });
      },
    });
    return { agent: new LlmAgent({ name: 'banker', model, instruction: 'Move money when asked.', tools: [transfer] }), models: [model] };
  },
  check(session) {
    // The confirmed transfer ran, the refused one did not.
    if (session.state['last_transfer'] !== '40 to Sam') throw new Error(`the confirmed tool did not run: ${JSON.stringify(session.state)}`);
    const confirmations = session.events.filter((e) => Object.keys(e.actions.requestedToolConfirmations).length > 0);
    if (confirmations.length !== 2) throw new Error(`expected two confirmation requests, found ${confirmations.length}`);
  },
};

/** The user's answer to the newest pending `adk_request_confirmation` call, as ADK's web UI sends it. */
function confirmationReply(session: Session, confirmed: boolean): Content {
  const pending = session.events
    .flatMap((e) => e.content?.parts ?? [])
    .filter((p) => p.functionCall?.name === 'adk_request_confirmation')
    .at(-1)!.functionCall!;
  return { role: 'user', parts: [{ functionResponse: { id: pending.id!, name: 'adk_request_confirmation', response: { confirmed } } }] };
}

/** ADK's context compaction over a long conversation: the model sees a summary and the recent events. */
const compaction: Program = {
  name: 'TokenBasedContextCompactor over a long conversation',
  turns: Array.from({ length: 8 }, (_, i) => `Message ${i + 1}: ${'words about training '.repeat(8)}`),
  build() {
    const summarizerModel = new ScriptedLlm((req) => text(`summary of ${req.contents.length} contents`));
    const model = new ScriptedLlm((req) => text(`reply to ${lastUserText(req).slice(0, 10)}`));
    const compactor = new TokenBasedContextCompactor({ tokenThreshold: 120, eventRetentionSize: 3, summarizer: new LlmSummarizer({ llm: summarizerModel }) });
    return { agent: new LlmAgent({ name: 'chatty', model, instruction: 'Chat.', contextCompactors: [compactor] }), models: [model, summarizerModel] };
  },
};

/** PreloadMemoryTool and LoadMemoryTool: facts from an earlier session reach the model's request. */
const memoryTools: Program = {
  name: 'PreloadMemoryTool and LoadMemoryTool',
  turns: ['Which seat should I book?', 'And my usual coffee?'],
  memory: { facts: ['I always prefer window seats on flights', 'My usual coffee is a flat white'] },
  build() {
    const model = new ScriptedLlm((req) => {
      const r = responded(req);
      if (r) return text(`From memory: ${memoryTexts(r.response).join('; ')}`);
      const said = lastUserText(req);
      return call('load_memory', { query: said.includes('coffee') ? 'usual coffee flat white' : 'window seats on flights' });
    });
    return {
      agent: new LlmAgent({ name: 'travel', model, instruction: 'Help with travel.', tools: [new PreloadMemoryTool(), new LoadMemoryTool()] }),
      models: [model],
    };
  },
};

/** Every text a memory tool's result holds (backends shape their records differently; the texts are what the agent sees). */
export function memoryTexts(value: unknown): string[] {
  if (typeof value === 'string') return [];
  if (Array.isArray(value)) return value.flatMap(memoryTexts);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => (k === 'text' && typeof v === 'string' ? [v] : memoryTexts(v)));
  return [];
}

export const PROGRAMS: Program[] = [toolsAndState, agentTools, transfer, workflowAgents, workflowGraph, longRunning, toolConfirmation, compaction, memoryTools];
