/**
 * The recall benchmark's dataset layout (`npm run bench -- --recall --dataset FILE` reads any file
 * in it): conversations of dated sessions of turns, and questions naming the turns that answer them.
 */
import { z } from 'zod';

export const turnSchema = z.strictObject({ id: z.string().min(1), speaker: z.string().min(1), text: z.string().min(1) });
export const datasetSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  conversations: z.array(
    z.strictObject({
      id: z.string().min(1),
      /**
       * The two speakers; the first speaks as the user, the second as the agent. Every other speaker
       * is written as an agent named after them too: a first speaker who never speaks makes a
       * conversation between two named people (docs/memory.md, LoCoMo).
       */
      speakers: z.tuple([z.string().min(1), z.string().min(1)]),
      sessions: z.array(z.strictObject({ id: z.string().min(1), date: z.iso.datetime(), turns: z.array(turnSchema) })),
      questions: z.array(
        z.strictObject({
          id: z.string().min(1),
          category: z.string().min(1),
          question: z.string().min(1),
          answerTurns: z.array(z.string().min(1)).min(1),
        }),
      ),
    }),
  ),
});
export type RecallDataset = z.infer<typeof datasetSchema>;
export type Turn = z.infer<typeof turnSchema>;
