// Open a message sealed by the Knooppunt SDK (or a test vector) with panva/jose only:
// check that the JWE kid names our certificate, decrypt with only the DESIGN §5 algorithms, pick the
// sender certificate named by x5t#S256, verify the JWS (PS256/ES256 only) and print what it says.
// stdin: {inhoud, ontvangerSleutel (PKCS#8 PEM), ontvangerCertificaat, afzenderCertificaten: [PEM]}
// stdout: {payload, jwsKop, jweKop}; exit 1 with a message on stderr when anything does not match.
import { compactDecrypt, compactVerify, decodeProtectedHeader, importPKCS8, importX509 } from 'jose';
import { algs, leesVerzoek, x5tS256 } from './gemeenschappelijk.mjs';

const v = await leesVerzoek();
const eigen = algs(v.ontvangerCertificaat);
const jweKop = decodeProtectedHeader(v.inhoud);
if (jweKop.kid !== x5tS256(v.ontvangerCertificaat)) {
  throw new Error(`JWE kid ${jweKop.kid} does not name our certificate`);
}
const { plaintext } = await compactDecrypt(v.inhoud, await importPKCS8(v.ontvangerSleutel, eigen.jwe), {
  keyManagementAlgorithms: [eigen.jwe],
  contentEncryptionAlgorithms: ['A256GCM'],
});
const jws = new TextDecoder().decode(plaintext);
const x5t = decodeProtectedHeader(jws)['x5t#S256'];
const cert = v.afzenderCertificaten.find((pem) => x5tS256(pem) === x5t);
if (!cert) throw new Error(`x5t#S256 ${x5t} names none of the sender's certificates`);
const { payload, protectedHeader } = await compactVerify(jws, await importX509(cert, algs(cert).jws), {
  algorithms: [algs(cert).jws],
});
process.stdout.write(
  JSON.stringify({
    payload: JSON.parse(new TextDecoder().decode(payload)),
    jwsKop: protectedHeader,
    jweKop,
  }),
);
