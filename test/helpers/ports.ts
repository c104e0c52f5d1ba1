// One way to ask the OS for a free loopback port, shared with the real-server harness.
export { freePort } from '../../src/testing/real-agent-memory-server/processes.js';
