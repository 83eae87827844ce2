/**
 * The GitHub Action's entry (action.yml `runs.main` runs its bundle, dist-action/index.js).
 * Workflow commands, annotations included, are lines on stdout.
 */
import {runAction} from './run.js'

process.exitCode = await runAction(process.env, (text) => process.stdout.write(text))
