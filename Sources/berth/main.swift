// berth: berth's docker CLI — the same verbs, flags, output and exit codes, talking to
// berth-engine only. All logic is in BerthCLI.
import BerthCLI

BerthMain.main()
