// Copies the look of the portal and the API's interactive docs out of node_modules into the Python
// package (../static/nlds/ and ../static/swagger-ui/), where they are committed: a pip install needs
// no npm, and nothing is ever loaded from a CDN. Reproducible: the versions are pinned in
// package.json and package-lock.json; run
//
//     npm ci --ignore-scripts && node kopieer.mjs
//
// (--ignore-scripts: swagger-ui-dist depends on @scarf/scarf, whose install script reports
// downloads; it must not run). Each run empties both folders and writes them anew, with
// BRONNEN.json naming every file's package, version and SHA-256.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HIER = dirname(fileURLToPath(import.meta.url));
const STATIC = join(HIER, "..", "static");
const MODULES = join(HIER, "node_modules");

const pakket = (naam) => JSON.parse(readFileSync(join(MODULES, naam, "package.json"), "utf8"));

// [package, file in the package, target relative to static/]
const KOPIEEN = [
  ["@utrecht/component-library-css", "dist/index.css", "nlds/utrecht-componenten.css"],
  ["@utrecht/component-library-css", "LICENSE.md", "nlds/LICENSE-utrecht-component-library.md"],
  ["@nl-design-system-unstable/voorbeeld-design-tokens", "dist/theme.css", "nlds/voorbeeld-thema.css"],
  ["@nl-design-system-unstable/voorbeeld-design-tokens", "LICENSE.md", "nlds/LICENSE-voorbeeld-design-tokens.md"],
  ["@fontsource-variable/noto-sans", "files/noto-sans-latin-wght-normal.woff2", "nlds/noto-sans/latin-normal.woff2"],
  ["@fontsource-variable/noto-sans", "files/noto-sans-latin-ext-wght-normal.woff2", "nlds/noto-sans/latin-ext-normal.woff2"],
  ["@fontsource-variable/noto-sans", "files/noto-sans-latin-wght-italic.woff2", "nlds/noto-sans/latin-italic.woff2"],
  ["@fontsource-variable/noto-sans", "LICENSE", "nlds/noto-sans/LICENSE-OFL.txt"],
  ["swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"],
  ["swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css"],
  ["swagger-ui-dist", "LICENSE", "swagger-ui/LICENSE"],
  ["swagger-ui-dist", "NOTICE", "swagger-ui/NOTICE"],
];

// The font's @font-face rules for the files copied (Latin and Latin Extended: Dutch, names).
const LETTERTYPE = `/* Noto Sans (variable), OFL-1.1, from @fontsource-variable/noto-sans; written by kopieer.mjs. */
@font-face {
  font-family: "Noto Sans Variable";
  font-style: normal;
  font-display: swap;
  font-weight: 100 900;
  src: url(./noto-sans/latin-ext-normal.woff2) format("woff2-variations");
  unicode-range: U+0100-02BA, U+02BD-02C5, U+02C7-02CC, U+02CE-02D7, U+02DD-02FF, U+0304, U+0308, U+0329, U+1D00-1DBF, U+1E00-1E9F, U+1EF2-1EFF, U+2020, U+20A0-20AB, U+20AD-20C0, U+2113, U+2C60-2C7F, U+A720-A7FF;
}
@font-face {
  font-family: "Noto Sans Variable";
  font-style: normal;
  font-display: swap;
  font-weight: 100 900;
  src: url(./noto-sans/latin-normal.woff2) format("woff2-variations");
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD;
}
@font-face {
  font-family: "Noto Sans Variable";
  font-style: italic;
  font-display: swap;
  font-weight: 100 900;
  src: url(./noto-sans/latin-italic.woff2) format("woff2-variations");
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD;
}
`;

const sha256 = (inhoud) => createHash("sha256").update(inhoud).digest("hex");

for (const map of ["nlds", "swagger-ui"]) {
  rmSync(join(STATIC, map), { recursive: true, force: true });
}
const bronnen = {};
for (const [naam, bestand, doel] of KOPIEEN) {
  const pad = join(STATIC, doel);
  mkdirSync(dirname(pad), { recursive: true });
  copyFileSync(join(MODULES, naam, bestand), pad);
  bronnen[doel] = { pakket: naam, versie: pakket(naam).version, bestand, sha256: sha256(readFileSync(pad)) };
}
writeFileSync(join(STATIC, "nlds", "noto-sans.css"), LETTERTYPE);
bronnen["nlds/noto-sans.css"] = {
  pakket: "@fontsource-variable/noto-sans",
  versie: pakket("@fontsource-variable/noto-sans").version,
  bestand: "(@font-face rules written by kopieer.mjs)",
  sha256: sha256(LETTERTYPE),
};
const gesorteerd = Object.fromEntries(Object.entries(bronnen).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(join(STATIC, "BRONNEN.json"), JSON.stringify(gesorteerd, null, 2) + "\n");
console.log(`${Object.keys(gesorteerd).length} bestanden naar ${STATIC}`);
