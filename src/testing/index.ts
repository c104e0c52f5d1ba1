// Test helpers for users of adk-redis: stateful reference servers of both backend APIs.
export {};
