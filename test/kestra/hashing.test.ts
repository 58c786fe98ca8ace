import { expectTemplateError, filter, render } from '../support/kestra.js';

describe('md5 / sha1 / sha512', () => {
  it('give lower-case hex digests of the UTF-8 bytes', () => {
    expect(filter('md5', 'hello')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(filter('sha1', 'hello')).toBe('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d');
    expect(filter('sha512', 'test')).toBe(
      'ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff',
    );
  });
  it('return null for null and reject non-strings with "Need a string to hash"', () => {
    for (const name of ['md5', 'sha1', 'sha512']) {
      expect(filter(name, null)).toBeNull();
      expectTemplateError(() => filter(name, 42), 'Need a string to hash');
      expectTemplateError(() => filter(name, ['a']), 'Need a string to hash');
    }
  });
  it('work through the engine', async () => {
    expect(await render('{{ "hello" | md5 | length }}')).toBe('32');
    expect(await render('{{ s | sha1 }}', { s: 'hello' })).toBe('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d');
  });
});
