// `troupe status` as a person reads it: one block per application, a row per deployment with its replicas,
// what is wrong where something is, and the machine's resources.
import type { AdminStatus } from '../admin/index.ts';

export function renderStatus(status: AdminStatus, address?: string): string {
  const lines: string[] = [];
  const apps = Object.entries(status.applications);
  if (apps.length === 0) lines.push(`no applications${address ? ` on ${address}` : ''}: troupe deploy <config.yaml> adds some`);
  for (const [name, app] of apps) {
    const from = app.importPath ? `  from ${app.importPath}` : '';
    lines.push(`${name}  ${app.status}  route ${app.routePrefix}${from}`);
    if (app.message) lines.push(`  ! ${app.message}`);
    const rows: string[][] = [['DEPLOYMENT', 'STATUS', 'REPLICAS', 'TARGET']];
    const notes: string[][] = [];
    for (const [dName, d] of Object.entries(app.deployments)) {
      const counts = new Map<string, number>();
      for (const r of d.replicas) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
      const replicas = [...counts].map(([state, n]) => `${n} ${state}`).join(', ') || 'none';
      let target = String(d.targetReplicas);
      if (d.autoscaling) {
        const ongoing = d.autoscaling.ongoingRequests === undefined ? '' : `, ${d.autoscaling.ongoingRequests.toFixed(1)} ongoing`;
        target += ` (autoscaling ${d.autoscaling.minReplicas}-${d.autoscaling.maxReplicas}${ongoing})`;
      }
      rows.push([dName + (dName === app.ingress ? ' (ingress)' : ''), d.status, replicas, target]);
      // A reason the deployment's message already gives (waiting for resources) is not repeated per replica.
      const details = d.replicas.map(r => `${r.name.slice(r.name.indexOf('/') + 1)} ${r.state}${r.reason && !d.message.includes(r.reason) ? ` (${r.reason})` : ''}`);
      notes.push(details);
      if (d.message) notes[notes.length - 1]!.push(`! ${d.message}`);
      if (d.autoscaling?.error) notes[notes.length - 1]!.push(`! autoscaling: ${d.autoscaling.error}`);
    }
    const table = columns(rows);
    lines.push(`  ${table[0]}`);
    table.slice(1).forEach((row, i) => {
      lines.push(`  ${row}`);
      for (const note of notes[i]!) lines.push(`      ${note}`);
    });
    lines.push('');
  }
  const { cpus, gpus, memoryMb } = status.resources;
  lines.push(`resources in use: CPUs ${cpus.used} of ${cpus.total}, GPUs ${gpus.used} of ${gpus.total}, memory ${memoryMb.used} of ${memoryMb.total} MiB reserved`);
  return lines.join('\n');
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)));
  return rows.map(r => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
