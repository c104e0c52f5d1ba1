// The agent the ADK dev web UI loads (`npm run web`). The UI's server passes our session and
// memory services to the Runner; the memory tools need their own handle on the same backend,
// which web.ts hands over in ADK_REDIS_CONFIG.
import { RedisLongTermMemoryService } from '../../../../src/services/memory-service.js';
import { createCoachAgent } from '../../coach.js';

const config = JSON.parse(process.env.ADK_REDIS_CONFIG ?? '{}');
export const rootAgent = createCoachAgent(new RedisLongTermMemoryService(config));
