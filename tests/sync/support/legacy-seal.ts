import { createCipheriv, randomBytes } from 'node:crypto';

/**
 * A credential sealed the way versions before key derivation sealed it: `v1.<iv>.<tag>.<body>`,
 * AES-256-GCM with the deployment secret itself as the key. Stands for rows an upgraded
 * installation still holds.
 */
export function sealAsV1(secret: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'))].join('.');
}
