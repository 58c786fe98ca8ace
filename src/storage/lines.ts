/** Java's `BufferedReader.readLine` over a byte stream: lines end at LF, CR or CRLF; no empty last line for a final line end. */
import { StringDecoder } from 'node:string_decoder';

export async function* javaLines(input: AsyncIterable<Uint8Array | string>, encoding: BufferEncoding = 'utf8'): AsyncGenerator<string> {
  const decoder = new StringDecoder(encoding);
  let pending = '';
  let skipLF = false;
  const split = function* (text: string): Generator<string> {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (skipLF) {
        skipLF = false;
        if (c === 10) {
          start = i + 1;
          continue;
        }
      }
      if (c === 10 || c === 13) {
        yield pending + text.slice(start, i);
        pending = '';
        start = i + 1;
        if (c === 13) skipLF = true;
      }
    }
    pending += text.slice(start);
  };
  for await (const chunk of input)
    yield* split(typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  yield* split(decoder.end());
  if (pending !== '') yield pending;
}

/** Java charset names → Node encodings (the ones files are commonly read with). */
export function nodeEncoding(charset: string): BufferEncoding | undefined {
  switch (charset.trim().toLowerCase()) {
    case 'utf-8':
    case 'utf8':
      return 'utf8';
    case 'iso-8859-1':
    case 'latin1':
    case 'iso_8859_1':
      return 'latin1';
    case 'us-ascii':
    case 'ascii':
      return 'ascii';
    case 'utf-16le':
      return 'utf16le';
    default:
      return undefined;
  }
}
