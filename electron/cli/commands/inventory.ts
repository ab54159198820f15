// `hvbc inventory`: the estate as a table or JSON.
import { parseArgs } from 'node:util';
import { flagsOf } from '../../../shared/topology';
import { createServices } from '../../services/services';
import type { CliIO } from '../io';

export async function inventoryCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { lab: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    io.log(
      'hvbc inventory [--lab PATH] [--json]\n  The cluster, nodes, CSVs (owner, per-node access), VMs and their disks.',
    );
    return 0;
  }
  const s = await createServices(values.lab ? { labDir: values.lab } : {});
  try {
    const inv = await s.provider.inventory();
    if (values.json) {
      io.log(JSON.stringify(inv, null, 2));
      return 0;
    }
    const flags = flagsOf(inv);
    io.log(
      `Cluster ${inv.cluster.name} (Windows Server ${inv.cluster.osVersion}), ${inv.source.kind} at ${inv.source.location}`,
    );
    io.log(`Nodes: ${inv.cluster.nodes.map((n) => `${n.name} (${n.state})`).join(', ')}`);
    io.log('CSVs:');
    for (const c of inv.cluster.csvs) {
      const redirected = c.states.filter((st) => st.state !== 'Direct');
      const access = redirected.length
        ? `redirected on ${redirected.map((r) => `${r.node}: ${r.reason}`).join(', ')}`
        : 'direct on all nodes';
      io.log(
        `  ${c.name.padEnd(16)} ${c.path.padEnd(26)} owner ${c.ownerNode.padEnd(8)} ${access}`,
      );
    }
    io.log('VMs:');
    for (const vm of inv.vms) {
      const csvs = [
        ...new Set(vm.disks.map((d) => d.csvId).filter((x): x is string => x !== null)),
      ];
      const f = flags.get(vm.id) ?? [];
      io.log(
        `  ${vm.name.padEnd(12)} on ${vm.hostNode.padEnd(8)} ${vm.state.padEnd(8)} CSVs ${csvs.join(',').padEnd(12)} ${f.map((x) => `[${x.kind}] ${x.message}`).join(' ')}`,
      );
    }
    return 0;
  } finally {
    await s.close();
  }
}
