/**
 * Writes bench/recall/dataset.json: long multi-session conversations between two friends, with
 * questions whose answer turns are labelled, in four kinds (single-hop, multi-hop, temporal,
 * open-domain). Seeded: `npx tsx bench/recall/make-dataset.ts` writes the same file every time;
 * with `--check` it only says whether the committed file is what it would write.
 *
 * What makes it hard is what makes real chat logs hard: each fact is said once, in the speaker's
 * own words, often in the same line as something unrelated, among small talk that reuses the
 * question's words (names, "trip", "work") and near misses (the neighbour's kid who also plays an
 * instrument, the trip someone else is planning); questions name the thing by its kind ("what
 * instrument") where the turn names it ("cello lessons").
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecallDataset, Turn } from './dataset.js';

const SEED = 20261205;
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
function shuffled<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * A fact a speaker states: its turns (in order, each in a later session than the one before), its
 * questions, and near misses: turns on the same subject that do not answer (another instrument,
 * another trip), said anywhere by either friend, as real conversations are full of.
 */
interface Fact {
  turns: string[];
  questions: { category: Category; text: string; answers: number[] }[];
  nearMisses: string[];
}
/** One of a list, and the rest (the near misses draw on them). */
function pickApart<T>(list: readonly T[]): [T, T[]] {
  const i = Math.floor(random() * list.length);
  return [list[i]!, list.filter((_, j) => j !== i)];
}
type Category = 'single-hop' | 'multi-hop' | 'temporal' | 'open-domain';

const PAIRS: [string, string][] = [
  ['Maya', 'Tomas'],
  ['Priya', 'Jonah'],
  ['Elena', 'Marcus'],
  ['Aiko', 'Samir'],
  ['Grace', 'Diego'],
  ['Nora', 'Felix'],
];

/** The facts one speaker can have; `n` is the speaker's name, `o` the friend's. */
const FACTS: ((n: string, o: string) => Fact)[] = [
  (n) => {
    const [[instrument, detail], others] = pickApart([
      ['cello', 'my fingers are covered in blisters from the strings'],
      ['saxophone', 'the neighbours have started closing their windows'],
      ['piano', 'my teacher makes me play scales for half an hour first'],
      ['violin', 'the bow still squeaks every time I change strings'],
    ] as const);
    return {
      turns: [`I finally signed up for ${instrument} lessons, ${detail}.`],
      questions: [{ category: 'single-hop', text: `What instrument is ${n} learning to play?`, answers: [0] }],
      nearMisses: [
        `The kid upstairs practises the ${others[0]![0]} every evening, same three notes.`,
        `We went to a concert last week, the ${others[1]![0]} solo was unreal.`,
      ],
    };
  },
  (n) => {
    const [[animal, name], others] = pickApart([
      ['greyhound', 'Pepper'],
      ['tabby kitten', 'Miso'],
      ['rabbit', 'Clover'],
      ['parrot', 'Kiwi'],
    ] as const);
    return {
      turns: [`We brought home a ${animal} from the shelter on Saturday and called her ${name}.`],
      questions: [
        { category: 'single-hop', text: `What kind of pet did ${n} adopt?`, answers: [0] },
        { category: 'temporal', text: `When did ${n} adopt ${name}?`, answers: [0] },
      ],
      nearMisses: [
        `My aunt's ${others[0]![0]} ${others[0]![1]} chewed through her phone charger again.`,
        `The shelter on Elm Street is looking for people to foster a ${others[1]![0]}.`,
      ],
    };
  },
  (n) => {
    const [[role, company], others] = pickApart([
      ['data analyst', 'a solar panel company'],
      ['nurse', 'the children’s hospital downtown'],
      ['sous-chef', 'a Lebanese restaurant by the harbour'],
      ['teacher', 'a primary school across the river'],
    ] as const);
    return {
      turns: [`I said yes to the offer! From next month I’m a ${role} at ${company}.`],
      questions: [
        { category: 'single-hop', text: `What new job did ${n} accept?`, answers: [0] },
        { category: 'temporal', text: `When did ${n} accept the job offer?`, answers: [0] },
      ],
      nearMisses: [
        `My old flatmate just got a job as a ${others[0]![0]}, she seems happy.`,
        `I saw an advert for a ${others[1]![0]} at ${others[1]![1]}, the pay looked terrible.`,
      ],
    };
  },
  (n) => {
    const [[relation, sibling, city], others] = pickApart([
      ['sister', 'Lena', 'Lisbon'],
      ['brother', 'Owen', 'Montreal'],
      ['cousin', 'Ravi', 'Melbourne'],
      ['sister', 'Ines', 'Copenhagen'],
    ] as const);
    return {
      turns: [
        `My ${relation} ${sibling} is packing up the whole flat, she is moving abroad for a research post.`,
        `${sibling} sent pictures from ${city}, the new place has a balcony over the tram line.`,
      ],
      questions: [
        { category: 'multi-hop', text: `Which city did ${n}'s ${relation} move to?`, answers: [0, 1] },
        { category: 'single-hop', text: `Why did ${sibling} move away?`, answers: [0] },
      ],
      nearMisses: [
        `A friend of mine moved to ${others[0]![2]} last year and keeps sending me pictures of the sea.`,
        `My ${others[1]![0]} keeps saying she will move abroad one day, but she never does.`,
      ],
    };
  },
  (n) => {
    const [[place, food], others] = pickApart([
      ['Oaxaca', 'the mole'],
      ['Kyoto', 'the ramen'],
      ['Sicily', 'the cannoli'],
      ['Hanoi', 'the street noodles'],
    ] as const);
    return {
      turns: [`Just got back from ${place} last night, ${food} alone was worth the flight.`],
      questions: [
        { category: 'temporal', text: `When did ${n} come back from ${place}?`, answers: [0] },
        { category: 'single-hop', text: `Where did ${n} go on holiday?`, answers: [0] },
      ],
      nearMisses: [
        `I would love to go to ${others[0]![0]} one day, everyone says ${others[0]![1]} is amazing.`,
        `My parents are flying to ${others[1]![0]} in the autumn, they have already booked the hotel.`,
      ],
    };
  },
  (n) => {
    const [[race, time], others] = pickApart([
      ['half marathon', 'two hours and four minutes'],
      ['10k charity run', '52 minutes'],
      ['sprint triathlon', 'an hour and twenty'],
    ] as const);
    return {
      turns: [`I did the ${race} this morning and crossed the line in ${time}, legs are jelly.`],
      questions: [
        { category: 'temporal', text: `When did ${n} take part in the ${race}?`, answers: [0] },
        { category: 'single-hop', text: `How long did it take ${n} to finish the race?`, answers: [0] },
      ],
      nearMisses: [
        `My colleague is training for a ${others[0]![0]} and talks about nothing else.`,
        `They closed the whole high street for the ${others[1]![0]} on Sunday morning.`,
      ],
    };
  },
  (n) => ({
    turns: [
      'Give me a mountain trail and a thermos of coffee and I am happy all weekend.',
      'Nothing beats falling asleep in a tent with the sound of a river nearby.',
    ],
    questions: [{ category: 'open-domain', text: `Would ${n} enjoy a camping trip?`, answers: [0, 1] }],
    nearMisses: ['My brother went camping in the rain and came back with a cold.', 'I saw a documentary about people who walk the whole Appalachian trail.'],
  }),
  (n) => {
    const [allergen, others] = pickApart(['peanuts', 'shellfish', 'sesame'] as const);
    return {
      turns: [`Please check the menu for ${allergen}, a single trace and I end up in the emergency room.`],
      questions: [{ category: 'single-hop', text: `What food is ${n} allergic to?`, answers: [0] }],
      nearMisses: [
        `My nephew cannot eat ${others[0]!}, so birthday parties are a whole operation.`,
        `The new bakery labels everything that has ${others[1]!} in it, which is nice.`,
      ],
    };
  },
  (n) => {
    const [[title, author], others] = pickApart([
      ['The Left Hand of Darkness', 'Le Guin'],
      ['Middlemarch', 'George Eliot'],
      ['The Overstory', 'Richard Powers'],
      ['Piranesi', 'Susanna Clarke'],
    ] as const);
    return {
      turns: [`I am halfway through ${title} by ${author} and I keep missing my bus stop.`],
      questions: [{ category: 'single-hop', text: `What novel is ${n} reading?`, answers: [0] }],
      nearMisses: [
        `My book club picked ${others[0]![0]} for next month, I have not started it.`,
        `I gave up on ${others[1]![0]} after fifty pages, too slow for me.`,
      ],
    };
  },
  (n) => {
    const [[colleague, restaurant], others] = pickApart([
      ['Hannah', 'Casa Verde'],
      ['Kofi', 'The Blue Lantern'],
      ['Bruno', 'Saffron House'],
    ] as const);
    return {
      turns: [
        `${colleague} from the office swears by a place called ${restaurant}, we should book it.`,
        `We tried ${restaurant} on Friday but it was shut for renovation, so we got pizza instead.`,
      ],
      questions: [{ category: 'multi-hop', text: `What happened when ${n} went to the restaurant ${colleague} recommended?`, answers: [0, 1] }],
      nearMisses: [
        `${others[0]![1]} has a new chef and the reviews are glowing.`,
        `${others[1]![0]} from the office brought in leftovers from a birthday dinner.`,
      ],
    };
  },
  (n) => ({
    turns: [
      'Saturday mornings I sort donations at the food bank, it is the best part of my week.',
      'Honestly, helping people who are having a rough time is what keeps me going.',
    ],
    questions: [{ category: 'open-domain', text: `Is ${n} likely to volunteer for a charity event?`, answers: [0, 1] }],
    nearMisses: ['There was a charity bake sale at work but I only bought brownies.', 'My mum has volunteered at the library for twenty years.'],
  }),
  (n) => ({
    turns: [
      'I have started sketching the pigeons on my balcony every morning, my notebook is full of them.',
      'The art shop had a sale on charcoal pencils so I bought way too many.',
    ],
    questions: [{ category: 'open-domain', text: `Would ${n} like a drawing class as a gift?`, answers: [0, 1] }],
    nearMisses: [
      'The gallery downtown has an exhibition of old botanical drawings.',
      'My niece got a set of watercolours for her birthday and painted the dog.',
    ],
  }),
];

/** Small talk: openings and bodies, combined so no two turns of a conversation are the same. */
const OPENERS = ['Ha, ', 'Honestly, ', 'Oh, ', 'Okay so ', 'By the way, ', 'Funny thing, ', 'Ugh, ', 'Well, ', 'Guess what, ', 'Not much here, '];
const BODIES = [
  'work has been hectic all week and I barely slept',
  'the trip to the supermarket took forever because of the roadworks',
  'I watched a documentary about octopuses and now I feel guilty about calamari',
  'my phone screen cracked again, third time this year',
  'the weather flipped from sunshine to hail in about ten minutes',
  'I tried a new recipe for lentil soup and it was surprisingly good',
  'my neighbour keeps parking in front of my garage',
  'I spent the whole evening reorganising my bookshelf by colour',
  'the train was cancelled so I worked from the café instead',
  'I finally fixed the leaking tap in the bathroom',
  'my manager wants the report by Monday, which is fun',
  'I keep forgetting to water the basil on the window sill',
  'we had a power cut last night and played cards by candlelight',
  'I signed up for a gym and went exactly once',
  'the new season of that detective show is out and it is great',
  'my laptop updated itself in the middle of a meeting',
  'I bumped into an old school friend at the bakery',
  'the dentist said I need to floss more, as always',
  'I have been trying to drink less coffee, it is not going well',
  'our team won the pub quiz thanks to a question about volcanoes',
  'my cousin is getting married in the spring and wants me to give a speech',
  'the heating in the office is broken so everyone wears scarves',
  'I bought a plant that is apparently impossible to kill, we will see',
  'I got lost on the way to the new library, the signs are terrible',
  'my flatmate adopted a sourdough starter and talks to it',
  'the kids next door are learning the drums, every single evening',
  'I cleaned out the fridge and found a yoghurt from last year',
  'the bus driver sang the whole way home, it was kind of lovely',
  'I ordered shoes online and they sent two left ones',
  'my uncle is visiting next week and wants to see every museum',
  'I think I am finally getting the hang of the new software at work',
  'the park by my place is full of blossom right now',
  'I have been listening to an audiobook about the history of salt',
  'my bike got a flat tyre halfway to work',
  'I started a puzzle with two thousand pieces, big mistake',
  'the café on the corner closed and I am in mourning',
  'I spent Sunday doing laundry and nothing else',
  'a colleague brought homemade cinnamon rolls to the meeting',
  'I tried yoga on a video and fell over twice',
  'we are planning a small dinner for my mum’s birthday',
  'the printer at work jammed on the one page I needed',
  'I accidentally joined a video call with my camera on while eating',
  'the farmers market had the best strawberries I have tasted in years',
  'my landlord finally replaced the broken window latch',
  'I learned that the word salary comes from salt, which blew my mind',
  'our group chat spent an hour arguing about pineapple on pizza',
  'I tidied the garden shed and found my old roller skates',
  'the cinema was empty so we had the whole room to ourselves',
  'I have a cold and my voice sounds like a foghorn',
  'my cat knocked a glass off the table while staring at me',
  'I got a parking ticket while I was paying for parking',
  'the electricity bill this month was absolutely absurd',
  'I spent the afternoon assembling a wardrobe with forty screws',
  'my sister sent me a voice note that was eleven minutes long',
  'the lift in my building has been out of order since Tuesday',
  'I found a tenner in the pocket of my winter coat',
  'we got caught in the rain on the way back from lunch',
  'the neighbourhood association is arguing about bins again',
  'I tried to bake bread and it came out like a brick',
  'my favourite mug finally cracked after ten years',
];
const REPLIES = [
  'That sounds exhausting.',
  'Haha, classic.',
  'Oh no!',
  'Wait, really?',
  'I love that.',
  'Same here, honestly.',
  'Tell me more.',
  'That is so you.',
  'Good for you!',
  'Sounds like a week.',
];

function dateOf(base: Date, days: number): Date {
  return new Date(base.getTime() + days * 86_400_000);
}

function conversation(index: number, [a, b]: [string, string]): RecallDataset['conversations'][number] {
  const id = `conv-${index + 1}`;
  const sessions = 8;
  const turnsPerSession = 16;
  const facts = shuffled(FACTS)
    .slice(0, 12)
    .map((f, i) => ({ speaker: i % 2 === 0 ? a : b, other: i % 2 === 0 ? b : a, fact: f(i % 2 === 0 ? a : b, i % 2 === 0 ? b : a) }));
  // Each fact's turns go into distinct sessions, in order.
  const placed: { session: number; speaker: string; text: string; fact: number; part: number }[] = [];
  facts.forEach((f, fi) => {
    const first = Math.floor(random() * (sessions - f.fact.turns.length + 1));
    let session = first;
    f.fact.turns.forEach((text, part) => {
      placed.push({ session, speaker: f.speaker, text, fact: fi, part });
      session += 1 + Math.floor(random() * (sessions - session - (f.fact.turns.length - part)));
    });
  });
  facts.forEach((f, fi) =>
    f.fact.nearMisses.forEach((text, part) =>
      placed.push({ session: Math.floor(random() * sessions), speaker: random() < 0.5 ? a : b, text, fact: fi, part: 100 + part }),
    ),
  );
  const smallTalk = shuffled(OPENERS.flatMap((o) => BODIES.map((body) => `${o}${body}.`)));
  let talk = 0;
  const start = new Date(Date.UTC(2024, index, 3, 18, 0, 0));
  const turnIds = new Map<string, string>();
  let day = 0;
  const out: RecallDataset['conversations'][number]['sessions'] = [];
  for (let s = 0; s < sessions; s++) {
    day += 3 + Math.floor(random() * 12);
    const date = dateOf(start, day);
    const here = placed.filter((p) => p.session === s);
    const slots = shuffled([...Array(turnsPerSession).keys()].filter((i) => i > 0))
      .slice(0, here.length)
      .sort((x, y) => x - y);
    if (slots.length < here.length) throw new Error(`${id} session ${s + 1}: ${here.length} planned turns do not fit`);
    const turns: Turn[] = [];
    for (let t = 0; t < turnsPerSession; t++) {
      const speaker = t % 2 === 0 ? a : b;
      const at = slots.indexOf(t);
      const turnId = `${id}-s${s + 1}-t${t + 1}`;
      if (at >= 0) {
        const p = here[at]!;
        // As people write, a fact often shares its line with something else.
        const r = random();
        const text = r < 0.3 ? `${smallTalk[talk++]!} ${p.text}` : r < 0.6 ? `${p.text} ${smallTalk[talk++]!}` : p.text;
        turns.push({ id: turnId, speaker: p.speaker, text });
        turnIds.set(`${p.fact}:${p.part}`, turnId);
      } else if (random() < 0.35) turns.push({ id: turnId, speaker, text: REPLIES[(t + s) % REPLIES.length]! + ` ${smallTalk[talk++]!}` });
      else if (random() < 0.3) turns.push({ id: turnId, speaker, text: `${smallTalk[talk++]!} ${smallTalk[talk++]!}` });
      else turns.push({ id: turnId, speaker, text: smallTalk[talk++]! });
    }
    out.push({ id: `${id}-s${s + 1}`, date: date.toISOString(), turns });
  }
  const questions = facts.flatMap((f, fi) =>
    f.fact.questions.map((q, qi) => ({
      id: `${id}-q${fi + 1}-${qi + 1}`,
      category: q.category,
      question: q.text,
      answerTurns: q.answers.map((part) => turnIds.get(`${fi}:${part}`)!),
    })),
  );
  return { id, speakers: [a, b], sessions: out, questions };
}

const dataset: RecallDataset = {
  name: 'adk-redis recall set',
  description:
    'Six conversations between two friends over eight dated sessions each (16 turns per session), written by bench/recall/make-dataset.ts (seeded). Each question lists the turns that answer it.',
  conversations: PAIRS.map((pair, i) => conversation(i, pair)),
};
const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dataset.json');
const text = `${JSON.stringify(dataset, null, 1)}\n`;
if (process.argv.includes('--check')) {
  const same = (await readFile(file, 'utf8').catch(() => '')) === text;
  console.log(same ? 'bench/recall/dataset.json is what make-dataset.ts writes' : 'bench/recall/dataset.json differs from what make-dataset.ts writes');
  process.exit(same ? 0 : 1);
}
await writeFile(file, text);
const questions = dataset.conversations.flatMap((c) => c.questions);
console.log(
  `wrote ${path.relative(process.cwd(), file)}: ${dataset.conversations.length} conversations, ${dataset.conversations.flatMap((c) => c.sessions.flatMap((s) => s.turns)).length} turns, ${questions.length} questions (${[
    ...new Set(questions.map((q) => q.category)),
  ]
    .map((k) => `${k} ${questions.filter((q) => q.category === k).length}`)
    .join(', ')})`,
);
