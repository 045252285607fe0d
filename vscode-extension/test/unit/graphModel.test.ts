import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { findIdentifier, locateNode, parseGraphModel, parseNodeId, pipelinesInFile, sameFile } from '../../src/graphModel';
import { handleWebviewMessage, humanizeGraphError, isFromWebview } from '../../src/webviewProtocol';
import { findNodeElementId, ElementLike } from '../../src/webview/nodeId';

const model = parseGraphModel(
  JSON.stringify({
    datasets: [
      { name: 'raw', variable: 'raw', module: 'shop.p', filename: '/ws/shop/p.py', line: 4, storage: null, schema: null },
      { name: 'a:b', variable: 'ab', module: 'shop.p', filename: '/ws/shop/p.py', line: 5, storage: null, schema: null },
    ],
    tasks: [
      { id: 'shop.p.extract', name: 'extract', module: 'shop.p', filename: '/ws/shop/p.py', line: 10, inputs: [], output: 'raw', compute: null },
      { id: 'shop.q.clean', name: 'clean', module: 'shop.q', filename: '/ws/shop/q.py', line: 3, inputs: [{ parameter: 'data', dataset: 'raw' }], output: null, compute: null },
    ],
    pipelines: [
      { name: 'demo', variable: 'pipeline', filename: '/ws/shop/p.py', line: 20, tasks: ['shop.p.extract', 'shop.q.clean'], edges: [], order: [], sources: [], sinks: [], inputs: [] },
      { name: null, variable: 'other', filename: '/ws/shop/q.py', line: 9, tasks: [], edges: [], order: [], sources: [], sinks: [], inputs: [] },
    ],
  }),
);

test('graph model: task and dataset ids map to their definitions', () => {
  assert.deepEqual(locateNode(model, 'task:shop.q.clean'), { filename: '/ws/shop/q.py', line: 3, name: 'clean', kind: 'task' });
  assert.deepEqual(locateNode(model, 'dataset:raw'), { filename: '/ws/shop/p.py', line: 4, name: 'raw', kind: 'dataset' });
  assert.deepEqual(locateNode(model, 'dataset:a:b')?.line, 5, 'dataset names may contain a colon');
  assert.equal(locateNode(model, 'task:nope'), undefined);
  assert.equal(locateNode(model, 'node1'), undefined);
  assert.deepEqual(parseNodeId('task:x.y'), { kind: 'task', key: 'x.y' });
});

test('graph model: readable errors and tolerant parsing', () => {
  assert.throws(() => parseGraphModel('<svg/>'), /not valid JSON/);
  assert.throws(() => parseGraphModel('[]'), /not a JSON object/);
  assert.deepEqual(parseGraphModel('{}'), { datasets: [], tasks: [], pipelines: [] });
});

test('graph model: pipelines of the active file (path normalisation)', () => {
  assert.deepEqual(pipelinesInFile(model, ['/ws/shop/p.py'], 'linux').map((p) => p.name), ['demo']);
  assert.deepEqual(pipelinesInFile(model, ['/ws/shop/../shop/q.py'], 'linux').map((p) => p.variable), ['other']);
  assert.equal(pipelinesInFile(model, ['/ws/shop/r.py'], 'linux').length, 0);
  assert.ok(sameFile('C:\\Ws\\p.py', ['c:\\ws\\p.py'], 'win32'));
  assert.ok(!sameFile('/Ws/p.py', ['/ws/p.py'], 'linux'));
});

test('graph model: the identifier to select on the definition line', () => {
  const lines = ['@task(compute=compute.local())', 'def extract() -> raw:', '    pass'];
  assert.deepEqual(findIdentifier(lines, 0, 'extract'), [1, 4, 11]);
  assert.deepEqual(findIdentifier(['raw_data = 1; raw = Dataset("raw")'], 0, 'raw'), [0, 14, 17]);
  assert.equal(findIdentifier(['x = 1'], 0, 'raw'), undefined);
  assert.equal(findIdentifier(['x = 1'], 0, undefined), undefined);
});

test('webview messages: a click id becomes a reveal of the definition', () => {
  assert.deepEqual(handleWebviewMessage({ type: 'reveal', id: 'task:shop.p.extract' }, model), {
    kind: 'reveal',
    location: { filename: '/ws/shop/p.py', line: 10, name: 'extract', kind: 'task' },
  });
  assert.equal(handleWebviewMessage({ type: 'reveal', id: 'dataset:zzz' }, model).kind, 'notFound');
  assert.equal(handleWebviewMessage({ type: 'reveal', id: 'task:shop.p.extract' }, undefined).kind, 'notFound');
  assert.deepEqual(handleWebviewMessage({ type: 'selectPipeline', pipeline: 'demo' }, model), { kind: 'selectPipeline', pipeline: 'demo' });
  assert.deepEqual(handleWebviewMessage({ type: 'refresh' }, model), { kind: 'refresh' });
  for (const junk of [null, 'reveal', { type: 'reveal' }, { type: 'reveal', id: 3 }, { type: 'exec' }]) {
    assert.equal(handleWebviewMessage(junk, model).kind, 'ignore');
    assert.equal(isFromWebview(junk), false);
  }
});

function el(localName: string, id: string | null, parentNode: ElementLike | null): ElementLike {
  return { localName, parentNode, getAttribute: (n: string) => (n === 'id' ? id : null) };
}

test('webview: the clicked element resolves to the nearest task/dataset <g>', () => {
  const svg = el('svg', null, null);
  const graph = el('g', 'graph0', svg);
  const task = el('g', 'task:shop.p.extract', graph);
  const text = el('text', null, task);
  assert.equal(findNodeElementId(text), 'task:shop.p.extract');
  assert.equal(findNodeElementId(task), 'task:shop.p.extract');
  const edge = el('g', 'edge1', graph);
  assert.equal(findNodeElementId(el('path', null, edge)), undefined);
  assert.equal(findNodeElementId(el('polygon', null, el('g', 'dataset:raw', graph))), 'dataset:raw');
  assert.equal(findNodeElementId(null), undefined);
});

test('webview: failed graph requests read as advice', () => {
  assert.match(humanizeGraphError('Unhandled method glacier/graph'), /does not provide glacier\/graph/);
  assert.match(humanizeGraphError('Client is not running and can\'t be stopped'), /not running.*Restart Server/);
  assert.equal(humanizeGraphError('no pipeline in this file'), 'no pipeline in this file');
  assert.match(humanizeGraphError(''), /could not draw/);
  assert.equal(
    humanizeGraphError('pygls.exceptions.JsonRpcInternalError: GraphvizError: glacier-graph: cannot draw svg: the Graphviz `dot` program is not on PATH.'),
    'glacier-graph: cannot draw svg: the Graphviz `dot` program is not on PATH.',
  );
  assert.equal(humanizeGraphError('ValueError: no pipeline named `x`'), 'no pipeline named `x`');
});
