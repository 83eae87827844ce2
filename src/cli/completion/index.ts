import {UsageError} from '../../oci/errors.js'
import {bashScript} from './bash.js'
import {fishScript} from './fish.js'
import {powershellScript} from './powershell.js'
import {completionSpec, type ManifestCommand} from './spec.js'
import {zshScript} from './zsh.js'

export const SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const
export type Shell = (typeof SHELLS)[number]

const WRITERS = {bash: bashScript, zsh: zshScript, fish: fishScript, powershell: powershellScript}

/** The completion script for a shell, drawn from the commands as loaded. */
export function completionScript(shell: Shell, bin: string, commands: readonly ManifestCommand[]): string {
  return WRITERS[shell](completionSpec(bin, commands))
}

/** The shell named, or the one the user runs ($SHELL, as oclif reads it; pwsh is PowerShell). */
export function chooseShell(named: string | undefined, running: string): Shell {
  if (named !== undefined) return named as Shell
  const shell = running === 'pwsh' || running === 'powershell.exe' || running === 'pwsh.exe' ? 'powershell' : running
  if ((SHELLS as readonly string[]).includes(shell)) return shell as Shell
  throw new UsageError(`cannot tell which shell this is ("${running}"): name one of ${SHELLS.join(', ')}`)
}

/** How to turn completion on: one line in the shell's start-up file that loads the script of the archcheck installed. */
export function setupInstructions(shell: Shell, bin: string): string {
  const script = `${bin} autocomplete script ${shell}`
  const steps: Record<Shell, string[]> = {
    bash: [
      'Add this line to ~/.bashrc (or ~/.bash_profile for a login shell):',
      '',
      `  eval "$(${script})"`,
      '',
      `for instance with: echo 'eval "$(${script})"' >> ~/.bashrc`,
    ],
    zsh: [
      'Add this line to ~/.zshrc (after compinit, if it calls compinit):',
      '',
      `  eval "$(${script})"`,
      '',
      `for instance with: echo 'eval "$(${script})"' >> ~/.zshrc`,
    ],
    fish: [
      `Make fish load the completion the first time you complete ${bin}:`,
      '',
      `  mkdir -p ~/.config/fish/completions`,
      `  echo '${script} | source' > ~/.config/fish/completions/${bin}.fish`,
      '',
      '(fish does not make that directory itself.)',
    ],
    powershell: [
      'Add this line to your profile ($PROFILE):',
      '',
      `  ${script} | Out-String | Invoke-Expression`,
      '',
      `for instance with: New-Item -Type Directory -Force (Split-Path $PROFILE); Add-Content $PROFILE '${script} | Out-String | Invoke-Expression'`,
    ],
  }
  return [
    `${bin} completion for ${shell}`,
    '',
    ...steps[shell],
    '',
    `Then, in a new ${shell === 'powershell' ? 'PowerShell' : shell}: ${bin} <TAB> completes commands, ${bin} verify --<TAB> flags,`,
    `${bin} audit --format <TAB> values (--client, --host, --require, file names, …). The script is read from`,
    `the ${bin} installed each time a shell starts, so it follows upgrades.`,
    '',
  ].join('\n')
}
