// berth-ctr: the debug client of berth-supervisor (like ctr). All commands are in CtrCLI.
import CtrCLI

await BerthCtr.entry()
