/**
 * Approval before a protected environment changes: one owner for `deploy`, `promote` and
 * `destroy`. A protected (production) environment changes only after someone said yes to the
 * reviewed change: on a terminal prebake asks; anywhere else (CI, Nx tasks, a pipe) the command
 * needs `--approve`, given after the review was read (e.g. from `deploy --dry-run` in the same
 * job). Without either, the command refuses (exit 9) before anything executes, and the caller
 * takes back what it prepared (the change set).
 */
import { createInterface } from "node:readline/promises";
import { type Output, RefusedError, type ResolvedEnvironment } from "@prebake/core";

export type ApprovalDecision =
  /** Not a protected environment: nothing to approve. */
  | "not-needed"
  /** `--approve` was given. */
  | "approved"
  /** A person at a terminal answers. */
  | "ask"
  /** Nobody can approve here: refuse before executing. */
  | "refuse";

export interface ApprovalInputs {
  protectedEnvironment: boolean;
  approveFlag: boolean;
  /** stdin and stderr are terminals and CI is not set. */
  interactive: boolean;
}

/** The decision, from what is known before any question is asked. */
export function approvalDecision(inputs: ApprovalInputs): ApprovalDecision {
  if (!inputs.protectedEnvironment) return "not-needed";
  if (inputs.approveFlag) return "approved";
  return inputs.interactive ? "ask" : "refuse";
}

/** Only an explicit yes approves; an empty answer, anything else, or a closed terminal does not. */
export const isYes = (answer: string | undefined) => /^\s*(y|yes)\s*$/i.test(answer ?? "");

/** Asks one question on a terminal; resolves undefined when the input closes first. */
export type Prompt = (question: string) => Promise<string | undefined>;

/** The terminal's prompt: the question on stderr (stdout may carry --json), the answer from stdin. */
export const terminalPrompt: Prompt = async (question) => {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const closed = new Promise<undefined>((resolve) => rl.once("close", () => resolve(undefined)));
  try {
    return await Promise.race([rl.question(question), closed]);
  } finally {
    rl.close();
  }
};

/** Whether a person can be asked: both ends of the conversation are a terminal, and this is not CI. */
export const isInteractive = (env: NodeJS.ProcessEnv = process.env) =>
  Boolean(process.stdin.isTTY && process.stderr.isTTY && !env.CI);

export interface Approval {
  /** The protected environment's name. */
  environment: string;
  decision: ApprovalDecision;
  /**
   * Resolves when `action` may go ahead; otherwise throws a RefusedError (exit 9). `action` says
   * what would happen ("update stack prebake-prod-ci"); `where` names the stack.
   */
  confirm(action: string, where: string): Promise<void>;
}

export interface ApprovalOptions {
  approve?: boolean;
  /** For tests: the terminal's answer, and whether there is a terminal. */
  prompt?: Prompt;
  interactive?: boolean;
}

/** The approval a command needs in this environment, or undefined when it is not protected. */
export function approvalFor(
  environment: Pick<ResolvedEnvironment, "name" | "protected">,
  out: Output,
  options: ApprovalOptions = {},
): Approval | undefined {
  const decision = approvalDecision({
    protectedEnvironment: environment.protected,
    approveFlag: options.approve ?? false,
    interactive: options.interactive ?? isInteractive(),
  });
  if (decision === "not-needed") return undefined;
  const prompt = options.prompt ?? terminalPrompt;
  return {
    environment: environment.name,
    decision,
    async confirm(action, where) {
      if (decision === "approved") {
        out.info(`approved with --approve: ${action} in protected environment '${environment.name}'`);
        return;
      }
      if (decision === "refuse") {
        throw new RefusedError(
          `protected environment '${environment.name}': ${action} needs approval, and there is no terminal to ask`,
          {
            where,
            fix: "read the review above, then run the same command again with --approve (or run it on a terminal and answer yes)",
          },
        );
      }
      const answer = await prompt(`${action} in protected environment '${environment.name}'? [y/N] `);
      if (!isYes(answer)) {
        throw new RefusedError(`protected environment '${environment.name}': ${action} was not approved`, {
          where,
          fix: "nothing was changed; run the command again and answer yes to go ahead",
        });
      }
      out.info(`approved: ${action}`);
    },
  };
}
