// A worker process of `npm run demo -- --processes N`: serves the turns it is sent, for one
// session, with its own service instances.
import { Runner } from '@google/adk';
import { RedisLongTermMemoryService } from '../../src/services/memory-service.js';
import { RedisSessionMemoryService } from '../../src/services/session-service.js';
import { APP_NAME, createCoachAgent } from './coach.js';
import { turn } from './conversation.js';

const config = JSON.parse(process.env.DEMO_CONFIG ?? '{}');
const sessionId = process.env.DEMO_SESSION!;
const sessionService = new RedisSessionMemoryService(config);
const memoryService = new RedisLongTermMemoryService(config);
const runner = new Runner({ appName: APP_NAME, agent: createCoachAgent(memoryService), sessionService, memoryService });

process.on('message', (m: { text: string }) => {
  // A failed turn ends the worker with its error, which the demo reports.
  turn(runner, 'alice', sessionId, m.text).then(
    ({ lines }) => process.send!({ pid: process.pid, lines }),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
});
