import type {CheckContext, CheckResult, CheckStatus} from '../types.js'

/** A CheckResult for the reference in `context`; `platform` omitted for checks of the whole tag. */
export function checkResult(
  context: Pick<CheckContext, 'reference'>,
  id: string,
  status: CheckStatus,
  message: string,
  platform?: string,
): CheckResult {
  const result: CheckResult = {id, status, message, reference: context.reference}
  if (platform !== undefined) result.platform = platform
  return result
}
