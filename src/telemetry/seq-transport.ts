import { reportSeqFailures, type SeqTarget, SeqStream } from './seq-stream.js';

/**
 * pino transport entry (it runs in pino's transport thread): the main thread's lines go to
 * Seq from there, so parsing and batching them costs the HTTP thread nothing.
 */
export default function seqTransport(target: SeqTarget): SeqStream {
  return new SeqStream(target, reportSeqFailures());
}
