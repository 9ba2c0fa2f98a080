// Seal a message exactly as DESIGN §5 says, with panva/jose only (no Knooppunt code):
// a compact JWS (PS256/ES256) whose protected header carries the envelope metadata, iat and the
// x5t#S256 of the signing certificate, inside a compact JWE (RSA-OAEP-256 / ECDH-ES+A256KW, A256GCM)
// whose kid is the x5t#S256 of the recipient's certificate.
// stdin: {payload, metadata, iat, afzenderSleutel (PKCS#8 PEM), afzenderCertificaat, ontvangerCertificaat}
// stdout: the JWE compact serialization.
import { CompactEncrypt, CompactSign, importPKCS8, importX509 } from 'jose';
import { algs, leesVerzoek, METADATA_VELDEN, x5tS256 } from './gemeenschappelijk.mjs';

const v = await leesVerzoek();
const afzender = algs(v.afzenderCertificaat);
const ontvanger = algs(v.ontvangerCertificaat);

const kop = { alg: afzender.jws, typ: 'JOSE', cty: 'json' };
for (const veld of METADATA_VELDEN) kop[veld] = v.metadata[veld] ?? null;
kop.iat = v.iat;
kop['x5t#S256'] = x5tS256(v.afzenderCertificaat);

const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(v.payload)))
  .setProtectedHeader(kop)
  .sign(await importPKCS8(v.afzenderSleutel, afzender.jws));

const jwe = await new CompactEncrypt(new TextEncoder().encode(jws))
  .setProtectedHeader({
    alg: ontvanger.jwe,
    enc: 'A256GCM',
    kid: x5tS256(v.ontvangerCertificaat),
    cty: 'JWT',
  })
  .encrypt(await importX509(v.ontvangerCertificaat, ontvanger.jwe));

process.stdout.write(jwe);
