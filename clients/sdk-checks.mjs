// The official clients against a running tiergate, base URL only: the OpenAI Node SDK, Anthropic's
// SDK and the Vercel AI SDK with @ai-sdk/openai-compatible. Starts nothing: point TIERGATE_URL at a
// gateway (CI runs it against `tiergate demo`, whose prefill tier translates Responses and Messages
// to chat and whose max tier also answers embeddings). Exits 1 when any check fails.
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { APICallError, embed, generateText, jsonSchema, streamText, tool } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import assert from 'node:assert/strict';

const base = (process.env.TIERGATE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const model = 'qwen3.6-27b';
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 60_000 });
const anthropic = new Anthropic({ baseURL: base, apiKey: 'sk-ant-unused', maxRetries: 0, timeout: 60_000 });
const vercel = createOpenAICompatible({ name: 'tiergate', baseURL: `${base}/v1`, apiKey: 'unused', includeUsage: true });
/** The demo's prefill backend speaks only chat: Responses and Messages requests there are translated. */
const translated = { headers: { 'x-tiergate-tier': 'prefill', 'x-tiergate-strict': 'true' } };
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

// --- OpenAI: chat ------------------------------------------------------------------------------

check('openai chat, whole answer with usage', async () => {
  const c = await openai.chat.completions.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Hello' }] });
  assert.equal(c.model, model, 'the client model name comes back');
  assert.ok(c.choices[0].message.content.trim().length > 0);
  assert.equal(c.usage.completion_tokens, 8);
  assert.ok(c.usage.prompt_tokens > 0);
});

check('openai chat, streamed with usage', async () => {
  const stream = await openai.chat.completions.create({
    model, max_tokens: 8, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Hello' }],
  });
  let text = '';
  let usage = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    usage = chunk.usage ?? usage;
  }
  assert.ok(text.trim().length > 0);
  assert.equal(usage?.completion_tokens, 8);
});

check('openai chat, aborted mid-stream: the gateway counts it cancelled', async () => {
  const before = await requests('cancelled');
  const stream = await openai.chat.completions.create({
    model, max_tokens: 2000, stream: true, messages: [{ role: 'user', content: 'Tell me a long story' }],
  });
  let chunks = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.delta?.content) {
      chunks++;
      stream.controller.abort();
    }
  }
  assert.equal(chunks, 1, 'the loop ends at the abort');
  await eventually(async () => (await requests('cancelled')) === before + 1, 'tiergate_requests_total{outcome="cancelled"} +1');
});

check('openai chat, tool-call round trip', async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await openai.chat.completions.create({ model, max_tokens: 64, tools: [weatherTool], messages });
  const call = first.choices[0].message.tool_calls?.[0];
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18C, sunny' });
  const second = await openai.chat.completions.create({ model, max_tokens: 8, tools: [weatherTool], messages });
  assert.notEqual(second.choices[0].finish_reason, 'tool_calls');
  assert.ok(second.choices[0].message.content.trim().length > 0);
});

// --- OpenAI: Responses -------------------------------------------------------------------------

// The demo's engines answer until max tokens unless told to stop earlier (x-sim-output-tokens, a simulator
// header the gateway passes on): openai-node's stream helper takes its final response only from
// response.completed, and a budget that ran out is response.incomplete.
const naturalStop = { 'x-sim-output-tokens': '6' };
for (const [label, options] of [['native', {}], ['translated', translated]]) {
  check(`openai responses, streamed (${label})`, async () => {
    const stream = openai.responses.stream({ model, input: 'Say hello', instructions: 'Be brief.', max_output_tokens: 8 },
      { headers: { ...options.headers, ...naturalStop } });
    let deltas = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') {
        deltas += event.delta;
      }
    }
    const response = await stream.finalResponse();
    assert.equal(response.model, model);
    const finalText = response.output.filter((o) => o.type === 'message').flatMap((o) => o.content).map((c) => c.text).join('');
    assert.equal(finalText, deltas, 'the final response repeats the streamed text');
    assert.ok(deltas.trim().length > 0);
    assert.equal(response.status, 'completed');
    assert.equal(response.usage.output_tokens, 6);
  });
}

check('openai responses, function call (translated)', async () => {
  const r = await openai.responses.create({
    model, max_output_tokens: 64, input: 'What is the weather in Paris?',
    tools: [{ type: 'function', name: 'get_weather', parameters: weatherTool.function.parameters, strict: false }],
  }, translated);
  const call = r.output.find((o) => o.type === 'function_call');
  assert.equal(call?.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
});

// --- Anthropic: Messages -----------------------------------------------------------------------

for (const [label, options] of [['native', {}], ['translated', translated]]) {
  check(`anthropic messages, streamed (${label})`, async () => {
    const stream = anthropic.messages.stream({
      model, max_tokens: 8, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello' }],
    }, options);
    let text = '';
    stream.on('text', (t) => { text += t; });
    const message = await stream.finalMessage();
    assert.equal(message.model, model);
    assert.equal(message.stop_reason, 'max_tokens');
    assert.equal(message.content.at(-1).text, text);
    assert.ok(text.trim().length > 0);
    assert.equal(message.usage.output_tokens, 8);
  });
}

check('anthropic messages, tool-use round trip streamed (translated)', async () => {
  const tools = [{ name: 'get_weather', description: 'Current weather for a city', input_schema: weatherTool.function.parameters }];
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await anthropic.messages.stream({ model, max_tokens: 64, tools, messages }, translated).finalMessage();
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b) => b.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.deepEqual(use.input, { city: 'Paris' });
  messages.push({ role: 'assistant', content: first.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18C, sunny' }] });
  const second = await anthropic.messages.stream({ model, max_tokens: 8, tools, messages }, translated).finalMessage();
  assert.notEqual(second.stop_reason, 'tool_use');
  assert.ok(second.content.some((b) => b.type === 'text' && b.text.trim().length > 0));
});

check('anthropic count_tokens', async () => {
  const c = await anthropic.messages.countTokens({ model, messages: [{ role: 'user', content: 'Count to five.' }] });
  assert.ok(c.input_tokens > 0);
});

// --- embeddings --------------------------------------------------------------------------------

check('openai embeddings', async () => {
  const e = await openai.embeddings.create({ model, input: ['hello world', 'second'] });
  assert.equal(e.data.length, 2);
  assert.ok(e.data[1].embedding.length > 0);
});

// --- Vercel AI SDK -----------------------------------------------------------------------------

check('vercel ai generateText and streamText', async () => {
  const g = await generateText({ model: vercel.chatModel(model), prompt: 'Hello', maxOutputTokens: 8, maxRetries: 0 });
  assert.ok(g.text.trim().length > 0);
  assert.equal(g.usage.outputTokens, 8);
  const s = streamText({ model: vercel.chatModel(model), prompt: 'Hello', maxOutputTokens: 8, maxRetries: 0 });
  let text = '';
  for await (const part of s.textStream) {
    text += part;
  }
  assert.ok(text.trim().length > 0);
  assert.equal((await s.usage).outputTokens, 8);
});

check('vercel ai tool call', async () => {
  const g = await generateText({
    model: vercel.chatModel(model), prompt: 'What is the weather in Paris?', maxOutputTokens: 64, maxRetries: 0,
    tools: { get_weather: tool({ description: 'Current weather for a city', inputSchema: jsonSchema(weatherTool.function.parameters) }) },
  });
  assert.equal(g.toolCalls[0]?.toolName, 'get_weather');
  assert.deepEqual(g.toolCalls[0].input, { city: 'Paris' });
});

check('vercel ai embed', async () => {
  const { embedding } = await embed({ model: vercel.textEmbeddingModel(model), value: 'hello', maxRetries: 0 });
  assert.ok(embedding.length > 0);
});

// --- errors as each SDK's typed errors ---------------------------------------------------------

check('errors: 400 and 404 as typed SDK errors', async () => {
  await assert.rejects(openai.chat.completions.create({ model, messages: [{ role: 'robot', content: 'x' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages[0].role');
  await assert.rejects(openai.embeddings.create({ model, input: 'x' }, { headers: { 'x-tiergate-tier': 'fast', 'x-tiergate-strict': 'true' } }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'endpoint_not_supported');
  await assert.rejects(anthropic.messages.create({ model, max_tokens: 5, messages: 'nope' }),
    (e) => e instanceof Anthropic.BadRequestError && e.error?.error?.type === 'invalid_request_error');
  await assert.rejects(anthropic.messages.countTokens({ model, messages: [{ role: 'user', content: 'x' }] },
    { headers: { 'x-tiergate-tier': 'none-such' } }),
  (e) => e instanceof Anthropic.BadRequestError);
  await assert.rejects(new Anthropic({ baseURL: `${base}/missing`, apiKey: 'x', maxRetries: 0 }).messages.create(
    { model, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (e) => e instanceof Anthropic.NotFoundError);
  await assert.rejects(generateText({ model: vercel.chatModel(model), messages: [{ role: 'user', content: '' }], maxRetries: 0,
    headers: { 'x-tiergate-tier': 'none-such' } }), (e) => APICallError.isInstance(e) && e.statusCode === 400);
});

// --- helpers -----------------------------------------------------------------------------------

/** tiergate_requests_total summed over one outcome, from the gateway's /metrics. */
async function requests(outcome) {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('tiergate_requests_total{') && line.includes(`outcome="${outcome}"`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

async function eventually(condition, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let failed = 0;
for (const { name, fn } of checks) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}: ${e?.stack ?? e}`);
  }
}
console.log(`sdk checks: ${checks.length - failed} passed, ${failed} failed against ${base}`);
process.exit(failed ? 1 : 0);
