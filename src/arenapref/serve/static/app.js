// The arenapref page: send a battle to /v1/predict, draw the three probabilities and the reasons,
// and "swap" to show that exchanging A and B mirrors the verdict. No external resources.
"use strict";

const $ = (id) => document.getElementById(id);
const MIRROR = { A: "B", B: "A", tie: "tie" };
const VERDICT = { A: "Answer A is preferred", B: "Answer B is preferred", tie: "A tie is most likely" };
let last = null; // {result, swapped}: the last prediction shown
let sequence = 0;

function battle() {
  return { prompt: $("prompt").value, response_a: $("response-a").value, response_b: $("response-b").value };
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
  const a = $("response-a").value;
  $("response-a").value = $("response-b").value;
  $("response-b").value = a;
  run(last);
});

fetch("/v1/model")
  .then((r) => r.json())
  .then((info) => { $("model-name").textContent = info.name; })
  .catch(() => { $("model-name").textContent = "unavailable"; });
