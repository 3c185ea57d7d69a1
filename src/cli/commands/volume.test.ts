import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DiskUsage, Volume } from '../../client/index.js';
import { parseTemplate } from '../../pkg/gotemplate/index.js';
import { deletedVolumesText, systemPruneWarning } from './prune.js';
import { dfRows, dfVerboseTable, dfVerboseTemplate } from './system-df.js';
import {
  VOLUME_PRUNE_ALL_WARNING, VOLUME_PRUNE_WARNING, renderVolumeList, volumeCreateRequest, volumeInspectJson, volumeListFormat, volumeRow,
  volumeStruct, volumeTemplateData,
} from './volume.js';

const vol = (over: Partial<Volume>): Volume => ({
  CreatedAt: '2026-01-02T03:04:05Z', Driver: 'local', Labels: {}, Mountpoint: '/var/lib/pier/volumes/v/_data', Name: 'v', Options: null, Scope: 'local', ...over,
});
const ls = (volumes: Volume[], format = '', quiet = false, cluster = false): string => renderVolumeList(volumes, { format, quiet, cluster });

test('volume ls prints DRIVER and VOLUME NAME, names in natural order', () => {
  const list = [vol({ Name: 'v10' }), vol({ Name: 'v9' }), vol({ Name: 'a' })];
  assert.equal(ls(list), 'DRIVER    VOLUME NAME\nlocal     a\nlocal     v9\nlocal     v10\n');
  assert.equal(ls([]), 'DRIVER    VOLUME NAME\n');
  assert.equal(ls(list, '', true), 'a\nv9\nv10\n');
  assert.equal(ls(list, 'table', true), 'a\nv9\nv10\n');
  // -q does not override a template, as docker's NewVolumeFormat
  assert.equal(ls(list, '{{.Driver}}', true), 'local\nlocal\nlocal\n');
  assert.equal(ls(list.slice(2), 'raw'), 'name: a\ndriver: local\n\n');
  assert.equal(ls(list.slice(2), 'raw', true), 'name: a\n');
});

test('volume ls templates see docker\'s volumeContext: labels, Label headers, N/A without usage data', () => {
  const v = vol({ Name: 'web', Labels: { 'com.example.my-key': 'x', b: '2', a: '1' } });
  assert.equal(ls([v], 'table {{.Name}}\t{{.Label "com.example.my-key"}}\t{{.Links}}\t{{.Size}}'),
    'VOLUME NAME   my key    LINKS     SIZE\nweb           x         N/A       N/A\n');
  assert.equal(ls([v], '{{.Labels}}|{{.Scope}}|{{.Mountpoint}}|{{.Group}}|{{.Availability}}|{{.Status}}'),
    'a=1,b=2,com.example.my-key=x|local|/var/lib/pier/volumes/v/_data|N/A|N/A|N/A\n');
  assert.equal(ls([vol({ Labels: null })], '{{.Labels}}|{{.Label "x"}}'), '|\n');
  const withUsage = volumeRow(vol({ UsageData: { Size: 123456, RefCount: 2 } }));
  assert.deepEqual([withUsage['Links'], withUsage['Size']], ['2', '123.5kB']);
  assert.equal(ls([vol({ Name: 'x<y' })], 'json'),
    '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/var/lib/pier/volumes/v/_data","Name":"x\\u003cy","Scope":"local","Size":"N/A","Status":"N/A"}\n');
});

test('volume ls --cluster keeps cluster volumes only, in swarm\'s columns whatever --format says', () => {
  const list = [vol({ Name: 'plain' })];
  assert.equal(ls(list, '', false, true), 'VOLUME NAME   GROUP     DRIVER    AVAILABILITY   STATUS\n');
  assert.equal(ls(list, '{{.Name}}', false, true), 'VOLUME NAME   GROUP     DRIVER    AVAILABILITY   STATUS\n');
  assert.equal(ls(list, '', true, true), '');
  const c = vol({ Name: 'cv', Driver: 'csi', ClusterVolume: { Spec: { Group: 'g', Availability: 'active' }, Info: { VolumeID: 'x' }, PublishStatus: [{}, {}] } });
  assert.equal(ls([c, ...list], '', false, true), 'VOLUME NAME   GROUP     DRIVER    AVAILABILITY   STATUS\ncv            g         csi       active         in use (2 nodes)\n');
  assert.equal(volumeRow(vol({ ClusterVolume: { Spec: {} } }))['Status'], 'pending creation');
});

test('volume ls formats map --format and --quiet as NewVolumeFormat does', () => {
  assert.equal(volumeListFormat('table', false), 'table {{.Driver}}\t{{.Name}}');
  assert.equal(volumeListFormat('table', true), '{{.Name}}');
  assert.equal(volumeListFormat('json', true), 'json');
});

test('volume inspect re-marshals volume.Volume: struct order, omitempty fields, sorted maps, HTML escaped', () => {
  const v = vol({ Name: 'a&b', Labels: { z: '1', a: '<2>' }, Options: { type: 'tmpfs', device: 'tmpfs' }, Status: { y: 1, b: { d: 1, c: 2 } } });
  assert.deepEqual(Object.keys(volumeStruct(v)), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope', 'Status']);
  assert.equal(volumeInspectJson([v], true),
    '[{"CreatedAt":"2026-01-02T03:04:05Z","Driver":"local","Labels":{"a":"\\u003c2\\u003e","z":"1"},"Mountpoint":"/var/lib/pier/volumes/v/_data",' +
    '"Name":"a\\u0026b","Options":{"device":"tmpfs","type":"tmpfs"},"Scope":"local","Status":{"b":{"c":2,"d":1},"y":1}}]\n');
  assert.equal(volumeInspectJson([vol({ CreatedAt: '', Labels: null })], false),
    '[\n    {\n        "Driver": "local",\n        "Labels": null,\n        "Mountpoint": "/var/lib/pier/volumes/v/_data",\n        "Name": "v",\n        "Options": null,\n        "Scope": "local"\n    }\n]\n');
  assert.equal(volumeInspectJson([], false), '[]\n');
  assert.deepEqual(volumeStruct(vol({ UsageData: { Size: -1, RefCount: 0 } }))['UsageData'], { Size: -1, RefCount: 0 });
});

test('volume inspect -f sees Go zero values: nil maps print map[] but marshal as null', () => {
  const run = (tpl: string, v: Volume): string => parseTemplate(tpl).execute(volumeTemplateData(v));
  const v = vol({ Labels: { a: 'b' } });
  assert.equal(run('{{.Name}} {{.Labels}} {{.Options}} {{.Status}} {{.UsageData}}', v), 'v map[a:b] map[] map[] <nil>');
  assert.equal(run('{{json .Options}} {{json .Labels}} {{if .Options}}yes{{else}}no{{end}}', v), 'null {"a":"b"} no');
  assert.equal(run('{{json .}}', v), '{"CreatedAt":"2026-01-02T03:04:05Z","Driver":"local","Labels":{"a":"b"},"Mountpoint":"/var/lib/pier/volumes/v/_data","Name":"v","Options":null,"Scope":"local"}');
  const { CreatedAt: _created, ...undated } = vol({});
  assert.equal(run('{{.CreatedAt}}|{{.ClusterVolume}}', undated), '|<nil>');
});

test('volume create sends docker\'s CreateOptions: empty fields left out, maps sorted', () => {
  assert.deepEqual(volumeCreateRequest({ name: '', driver: 'local', opts: {}, labels: {} }), { Driver: 'local' });
  const req = volumeCreateRequest({ name: 'x', driver: 'local', opts: { type: 'tmpfs', device: 'tmpfs' }, labels: { b: '', a: '1' } });
  assert.equal(JSON.stringify(req), '{"Driver":"local","DriverOpts":{"device":"tmpfs","type":"tmpfs"},"Labels":{"a":"1","b":""},"Name":"x"}');
  assert.deepEqual(Object.keys(volumeCreateRequest({ name: 'x', driver: '', opts: {}, labels: {}, cluster: { Group: 'g' } })), ['ClusterVolumeSpec', 'Name']);
});

test('volume prune asks docker\'s questions and reports docker\'s block', () => {
  assert.equal(VOLUME_PRUNE_WARNING, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  assert.equal(VOLUME_PRUNE_ALL_WARNING, 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
  assert.equal(deletedVolumesText(['a', 'b']), 'Deleted Volumes:\na\nb\n\n');
  assert.equal(deletedVolumesText([]), '');
  assert.equal(deletedVolumesText(null), '');
});

test('system prune --volumes promises anonymous volumes, after networks', () => {
  // docker 28.2.2, `docker system prune --volumes --filter label=a`, less the build cache line
  assert.equal(systemPruneWarning({ all: false, volumes: true, filters: { label: ['a'] } }),
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n' +
    '  - all anonymous volumes not used by at least one container\n  - all dangling images\n\n' +
    '  Items to be pruned will be filtered with:\n  - label=a\n\nAre you sure you want to continue? [y/N] ');
});

const du = (volumes: Volume[]): DiskUsage => ({ LayersSize: 0, Images: [], Containers: [], Volumes: volumes as unknown as DiskUsage['Volumes'], BuildCache: [] });

test('system df counts local volumes: active ones have links, sizes of -1 are skipped', () => {
  const rows = dfRows(du([
    vol({ Name: 'a', UsageData: { Size: 3000, RefCount: 1 } }),
    vol({ Name: 'b', UsageData: { Size: 1000, RefCount: 0 } }),
    vol({ Name: 'c', UsageData: { Size: -1, RefCount: 0 } }),
  ]));
  assert.deepEqual(rows[2], { Type: 'Local Volumes', TotalCount: '3', Active: '1', Size: '4kB', Reclaimable: '1kB (25%)' });
  assert.deepEqual(dfRows(du([]))[2], { Type: 'Local Volumes', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' });
});

test('system df -v shows the volumes section in daemon order, and templates see the four lists', () => {
  const d = du([vol({ Name: 'zz', UsageData: { Size: 6, RefCount: 1 } }), vol({ Name: 'a-long-volume-name', UsageData: { Size: 0, RefCount: 0 } })]);
  const text = dfVerboseTable(d, Date.now());
  assert.ok(text.startsWith('Images space usage:\n\nREPOSITORY   TAG       IMAGE ID   CREATED   SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n\nContainers space usage:\n\n'), text);
  assert.ok(text.includes('\nLocal Volumes space usage:\n\nVOLUME NAME          LINKS     SIZE\nzz                   1         6B\na-long-volume-name   0         0B\n\nBuild cache usage: 0B\n\n'), text);
  assert.ok(text.endsWith('\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n'), text);
  assert.equal(dfVerboseTemplate(d, '{{range .Volumes}}{{.Name}}={{.Links}} {{end}}', Date.now()), 'zz=1 a-long-volume-name=0 ');
  assert.equal(dfVerboseTemplate(du([vol({ UsageData: { Size: 0, RefCount: 0 } })]), 'json', Date.now()),
    '{"Images":[],"Containers":[],"Volumes":[{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"0","Mountpoint":"/var/lib/pier/volumes/v/_data","Name":"v","Scope":"local","Size":"0B","Status":"N/A"}],"BuildCache":[]}');
});
