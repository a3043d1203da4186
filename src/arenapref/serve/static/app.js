// The arenapref page: send a battle to /v1/predict, draw the three probabilities and the reasons,
// and "swap" to show that exchanging A and B mirrors the verdict. No external resources.
"use strict";

const $ = (id) => document.getElementById(id);
const MIRROR = { A: "B", B: "A", tie: "tie" };
const VERDICT = { A: "Answer A is preferred", B: "Answer B is preferred", tie: "A tie is most likely" };
let last = null; // {result, swapped}: the last prediction shown
let sequence = 0;

// Turn 1 is the form's first three boxes; "Add a turn" appends a prompt and both answers for each follow-up.
function turnBoxes() {
  const extra = [...document.querySelectorAll("#turns .turn")].map((turn) => ({
    prompt: turn.querySelector(".turn-prompt"),
    a: turn.querySelector(".turn-a"),
    b: turn.querySelector(".turn-b"),
  }));
  return [{ prompt: $("prompt"), a: $("response-a"), b: $("response-b") }, ...extra];
}

function battle() {
  const turns = turnBoxes();
  return {
    prompt: turns.map((t) => t.prompt.value),
    response_a: turns.map((t) => t.a.value),
    response_b: turns.map((t) => t.b.value),
  };
}

function box(cls, label, rows) {
  const wrap = document.createElement("div");
  const title = document.createElement("label");
  const area = document.createElement("textarea");
  area.className = cls;
  area.rows = rows;
  area.required = true;
  title.textContent = label;
  title.append(area);
  wrap.append(title);
  return wrap;
}

function addTurn() {
  const number = turnBoxes().length + 1;
  const turn = document.createElement("fieldset");
  turn.className = "turn";
  const legend = document.createElement("legend");
  legend.textContent = `Turn ${number}`;
  const answers = document.createElement("div");
  answers.className = "answers";
  answers.append(box("turn-a", `Answer A, turn ${number}`, 6), box("turn-b", `Answer B, turn ${number}`, 6));
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "remove-turn";
  remove.textContent = "Remove this turn";
  remove.addEventListener("click", () => turn.remove());
  turn.append(legend, box("turn-prompt", `Prompt, turn ${number}`, 2), answers, remove);
  $("turns").append(turn);
}

async function predict(body) {
  const response = await fetch("/v1/predict", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({ detail: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function showProbability(key, p) {
  const value = $(`p-${key}`);
  value.textContent = `${(100 * p).toFixed(1)}%`;
  value.dataset.value = String(p);
  $(`bar-${key}`).style.width = `${(100 * p).toFixed(2)}%`;
}

function showReasons(reasons) {
  const table = $("reasons");
  const rows = table.querySelector("tbody");
  rows.replaceChildren();
  $("no-reasons").hidden = reasons !== null;
  table.hidden = reasons === null || reasons.length === 0;
  for (const r of reasons || []) {
    const tr = document.createElement("tr");
    const value = r.value === null ? "–" : Number(r.value).toPrecision(3);
    const said = r.sentence ?? value;  // the value in words where the feature has a sentence
    for (const [text, cls] of [[r.label ?? r.feature, ""], [said, ""], [r.toward, ""], [r.contribution.toFixed(3), "num"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    tr.firstChild.title = `${r.feature} = ${value}`;  // the raw feature name and value on hover
    Object.assign(tr.dataset, { feature: r.feature, value: String(r.value) });
    rows.appendChild(tr);
  }
}

function showSwapCheck(before, after) {
  const check = $("swap-check");
  if (before === null) {
    check.hidden = true;
    return;
  }
  const same = after.winner === MIRROR[before.winner];
  check.hidden = false;
  check.className = same ? "same" : "differs";
  check.dataset.consistent = String(same);
  check.textContent =
    `After swapping: P(A) ${(100 * after.p_a).toFixed(1)}% (was P(B) ${(100 * before.p_b).toFixed(1)}%), ` +
    `P(B) ${(100 * after.p_b).toFixed(1)}% (was P(A) ${(100 * before.p_a).toFixed(1)}%). ` +
    (same
      ? `Same verdict: the preferred answer moved with the swap (${before.winner} → ${after.winner}).`
      : `The verdict changed with position (${before.winner} → ${after.winner}): the model is position-biased here.`);
}

function render(result, before) {
  $("error").hidden = true;
  $("result").hidden = false;
  const winner = $("winner");
  winner.textContent = VERDICT[result.winner];
  winner.dataset.winner = result.winner;
  showProbability("a", result.p_a);
  showProbability("b", result.p_b);
  showProbability("tie", result.p_tie);
  showReasons(result.reasons);
  showSwapCheck(before, result);
  sequence += 1;
  $("result").dataset.sequence = String(sequence);
}

function showError(message) {
  const error = $("error");
  error.textContent = message;
  error.hidden = false;
}

async function run(before) {
  $("predict").disabled = true;
  $("swap").disabled = true;
  try {
    const result = await predict(battle());
    render(result, before);
    last = result;
  } catch (err) {
    showError(err.message);
    last = null;
  } finally {
    $("predict").disabled = false;
    $("swap").disabled = last === null;
  }
}

$("battle-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run(null);
});

$("swap").addEventListener("click", () => {
  for (const t of turnBoxes()) [t.a.value, t.b.value] = [t.b.value, t.a.value];
  run(last);
});

$("add-turn").addEventListener("click", addTurn);

// A file: sent as it is to /v1/predict/file (the server reads any format), the submission comes back as CSV.
// The bar shows the upload, then runs without a value while the server predicts.
function predictFile(file) {
  const progress = $("file-progress");
  const status = $("file-status");
  const link = $("download");
  link.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  status.textContent = `sending ${file.name}…`;
  $("predict-file").disabled = true;
  const request = new XMLHttpRequest();
  request.open("POST", "/v1/predict/file");
  request.setRequestHeader("Content-Type", "application/octet-stream");
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) progress.value = event.loaded / event.total;
  };
  request.upload.onload = () => {
    progress.removeAttribute("value"); // indeterminate while the model predicts
    status.textContent = `predicting ${file.name}…`;
  };
  const finish = () => {
    progress.hidden = true;
    $("predict-file").disabled = false;
  };
  request.onload = () => {
    finish();
    if (request.status !== 200) {
      let detail = `HTTP ${request.status}`;
      try { detail = JSON.parse(request.responseText).detail || detail; } catch (e) { /* not JSON */ }
      status.textContent = "";
      showError(`${file.name}: ${detail}`);
      return;
    }
    $("error").hidden = true;
    const read = Number(request.getResponseHeader("X-Rows-Read"));
    const kept = Number(request.getResponseHeader("X-Rows-Kept"));
    status.textContent =
      `${kept} of ${read} battles predicted` + (kept < read ? `; ${read - kept} unreadable rows left out` : "");
    status.dataset.rows = String(kept);
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([request.responseText], { type: "text/csv" }));
    link.dataset.csv = request.responseText;
    link.hidden = false;
  };
  request.onerror = () => {
    finish();
    showError(`${file.name}: the server could not be reached`);
  };
  request.send(file);
}

$("file-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = $("file").files[0];
  if (file) predictFile(file);
});

fetch("/v1/model")
  .then((r) => r.json())
  .then((info) => { $("model-name").textContent = info.name; })
  .catch(() => { $("model-name").textContent = "unavailable"; });
