import { describe, expect, it } from 'vitest';
import { base64urlToBytes, importKey, signatureHeaders } from '../../src/lib/device';

describe('lib/device', () => {
  it('decodes the secret as base64url without padding', () => {
    expect(Array.from(base64urlToBytes('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'))).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });

  it('signs a PIN sign-in exactly as docs/api.md §3 (the test vector)', async () => {
    const key = await importKey('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    const headers = await signatureHeaders(
      { id: 'dev-1', key },
      'POST',
      '/api/auth/pin',
      '{"pin":"3333"}',
      1764079200,
      '4f1c2a9be07d3865c1a0b2e9d4f7a611',
    );
    expect(headers).toEqual({
      'x-sous-device': 'dev-1',
      'x-sous-timestamp': '1764079200',
      'x-sous-nonce': '4f1c2a9be07d3865c1a0b2e9d4f7a611',
      'x-sous-signature': '7bed25b04dd9d0b4b80eae59e06ee03a5b1fe283e20a2fba05cb388dd35d2044',
    });
  });

  it('keeps the key out of reach of scripts', async () => {
    const key = await importKey('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    expect(key.extractable).toBe(false);
  });
});
