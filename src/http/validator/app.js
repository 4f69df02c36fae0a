// The ID validator page: checks typed or pasted IDs with the WebAssembly rules engine, in the browser,
// and explains each rejection in plain words. No build step: plain ESM served as is.
import { createRules, moduleFile } from "./rules/index.js";

/** The ID types a clerk can pick. `lengthChoice`: the clerk sets the length (openg2p leaves it to the type). */
const TYPES = {
  openg2p: { label: "OpenG2P", options: { profile: "openg2p" }, lengthChoice: true },
  "mosip-uin": { label: "MOSIP UIN (10 digits)", options: { profile: "mosip-uin" } },
  "mosip-vid": { label: "MOSIP VID (16 digits)", options: { profile: "mosip-vid" } },
};

const list = (entries) => new Intl.ListFormat("en", { type: "disjunction" }).format(entries);
const countingRun = (n) => "1234567890".slice(0, Math.min(n, 10));

/** Why an ID was rejected, for someone who has never heard of Verhoeff. `p`: the resolved parameters. */
const EXPLAIN = {
  not_digits: () => "only the digits 0–9 are allowed — look for letters (O instead of 0, l instead of 1) or other marks",
  length: (p, id) => `IDs of this type have exactly ${p.id_length} digits; this one has ${id.length}`,
  checksum: () => "the last digit does not match — a digit was probably mistyped or two digits swapped",
  not_start_with: (p) => `IDs of this type never start with ${list(p.not_start_with)}`,
  sequence: (p) =>
    `${p.sequence_limit} digits in a row count up or down (like ${countingRun(p.sequence_limit)})` +
    (p.sequence_wrap ? ", 9 to 0 included" : ""),
  repeating_digit: (p) => {
    const gap = (p.repeating_limit_inclusive ? p.repeating_limit : p.repeating_limit - 1) - 1;
    return gap <= 0
      ? "the same digit appears twice in a row (like 55)"
      : `the same digit comes back too soon: in a row, or with at most ${gap} digit${gap > 1 ? "s" : ""} between (like 55 or 525)`;
  },
  repeating_block: (p) => `a group of ${p.repeating_block_limit} digits appears twice (like ${countingRun(p.repeating_block_limit)}…${countingRun(p.repeating_block_limit)})`,
  conjugative_even: (p) =>
    `${p.conjugative_even_digits_limit} even digits in a row (even here means ${p.even_digits.split("").join(", ")})`,
  first_equals_last: (p) => `the first ${p.digits_group_limit} digits are the same as the last ${p.digits_group_limit}`,
  first_equals_reverse_last: (p) =>
    `the last ${p.reverse_digits_group_limit} digits are the first ${p.reverse_digits_group_limit} backwards`,
  restricted: (p) => `it contains a blocked number (${list(p.restricted_numbers)})`,
  cyclic: () => "it contains a cyclic number (such as 142857, the digits of 1/7), which is easy to guess",
};

const form = document.getElementById("form");
const typeSelect = document.getElementById("type");
const lengthField = document.getElementById("length-field");
const lengthInput = document.getElementById("length");
const idsInput = document.getElementById("ids");
const invalidOnly = document.getElementById("invalid-only");
const summary = document.getElementById("summary");
const results = document.getElementById("results");

// One compiled module, shared by every ID type the clerk switches to (the scalar build where SIMD is missing).
const wasm = fetch(new URL(`./rules/${moduleFile()}`, import.meta.url)).then((response) => {
  if (!response.ok) throw new Error(`${moduleFile()}: HTTP ${response.status}`);
  return response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes));
});
const rulesByOptions = new Map();

function rulesFor(options) {
  const key = JSON.stringify(options);
  if (!rulesByOptions.has(key)) rulesByOptions.set(key, wasm.then((module) => createRules(options, { wasm: module })));
  return rulesByOptions.get(key);
}

/** The rule options picked in the form, or null when the length is out of range. */
function selectedOptions() {
  const type = TYPES[typeSelect.value];
  lengthField.hidden = !type.lengthChoice;
  if (!type.lengthChoice) return type.options;
  const length = Number(lengthInput.value);
  const ok = Number.isInteger(length) && length >= 2 && length <= 32;
  lengthInput.setAttribute("aria-invalid", String(!ok));
  return ok ? { ...type.options, id_length: length } : null;
}

function resultRow(id, verdict, parameters) {
  const row = document.createElement("li");
  row.className = verdict.valid ? "valid" : "invalid";
  row.dataset.id = id;
  row.dataset.reason = verdict.reason ?? "";
  const code = document.createElement("code");
  code.textContent = id;
  const label = document.createElement("span");
  label.className = "verdict";
  label.textContent = verdict.valid ? "✓ valid" : `✗ ${verdict.reason.replaceAll("_", " ")}`;
  row.append(code, label);
  if (!verdict.valid) {
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = EXPLAIN[verdict.reason](parameters, id);
    row.append(why);
  }
  return row;
}

let latest = 0;

async function update() {
  const run = ++latest;
  const options = selectedOptions();
  const ids = idsInput.value.split(/[\s,;]+/).filter(Boolean);
  if (!options) return show("The length must be a whole number from 2 to 32.", []);
  let rules;
  try {
    rules = await rulesFor(options);
  } catch (error) {
    rulesByOptions.delete(JSON.stringify(options));
    if (run !== latest) return;
    form.dataset.state = "error";
    return show(`The rules could not be loaded: ${error.message}`, []);
  }
  if (run !== latest) return;
  form.dataset.state = "ready";
  const verdicts = ids.map((id) => [id, rules.validate(id)]);
  const valid = verdicts.filter(([, verdict]) => verdict.valid).length;
  const shown = invalidOnly.checked ? verdicts.filter(([, verdict]) => !verdict.valid) : verdicts;
  show(
    ids.length === 0 ? "Type or paste IDs above." : `${valid} valid, ${ids.length - valid} invalid`,
    shown.map(([id, verdict]) => resultRow(id, verdict, rules.parameters)),
  );
}

function show(text, rows) {
  summary.textContent = text;
  results.replaceChildren(...rows);
}

/** Keeps the chosen type in the address, so a bookmark or a shared link opens the same type. */
function rememberType() {
  const query = new URLSearchParams({ type: typeSelect.value });
  if (TYPES[typeSelect.value].lengthChoice) query.set("length", lengthInput.value);
  history.replaceState(null, "", `?${query}`);
}

for (const [value, type] of Object.entries(TYPES)) typeSelect.add(new Option(type.label, value));
const query = new URLSearchParams(location.search);
if (TYPES[query.get("type")]) typeSelect.value = query.get("type");
if (query.has("length")) lengthInput.value = query.get("length");

form.addEventListener("submit", (event) => event.preventDefault());
form.addEventListener("input", (event) => {
  if (event.target === typeSelect || event.target === lengthInput) rememberType();
  update();
});
update();
