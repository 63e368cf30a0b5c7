Feature: Checkpoints
  A checkpoint is an immutable snapshot of a plan's sandbox: every non-ignored file, the
  index (what is staged) and HEAD. Taking one must not disturb the user: the worktree, the
  index, HEAD, branches and the stash stay exactly as they were.

  Rule: taking a checkpoint of an active plan

    Background:
      Given a git repository
      And the repository has these committed files:
        | path       | content             |
        | src/app.js | console.log('v1');\n |
        | notes.md   | # notes\n           |
      And an active plan

    Scenario: a checkpoint records the sandbox and says where it lives
      Given the agent writes "console.log('v2');\n" to "src/app.js"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON has the keys "checkpointId, planId, treeSha, deduplicated"
      And the JSON "checkpointId" is a ULID
      And the JSON "checkpointId" is not "<checkpoint:first>"
      And the JSON "planId" is "<plan>"
      And the JSON "treeSha" is a git object id
      And the JSON "deduplicated" is false
      And the JSON "seq" is 2
      And the JSON "sandboxRef" is "refs/savepoint/<plan>/<checkpoint:latest>"
      And the ref of checkpoint "latest" exists

    Scenario: in human mode the checkpoint is named with its number
      Given the agent writes "console.log('v2');\n" to "src/app.js"
      When I run "savepoint checkpoint create --plan <plan>"
      Then the run succeeds
      And stdout contains "Checkpoint #2"
      And stdout contains "of plan <plan>"

    Scenario: reason, tool and phase are recorded and shown
      Given the agent writes "console.log('v2');\n" to "src/app.js"
      When I run "savepoint checkpoint create --plan <plan> --reason 'before the refactor' --tool Edit --phase edit --json"
      Then the run succeeds
      When I run "savepoint checkpoint show <checkpoint:latest> --json"
      Then the run succeeds
      And the JSON "checkpointId" is "<checkpoint:latest>"
      And the JSON "metadata" is {"kind": "manual", "reason": "before the refactor", "tool": "Edit", "phase": "edit"}
      When I run "savepoint checkpoint show <checkpoint:latest>"
      Then the run succeeds
      And stdout contains "before the refactor"
      And stdout contains "Edit"
      When I run "savepoint checkpoint list --plan <plan>"
      Then the run succeeds
      And stdout contains "before the refactor · tool Edit · phase edit"

    Scenario: nothing changed since the latest checkpoint, so it is reused
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is true
      And the JSON "checkpointId" is "<checkpoint:first>"
      And the plan has 1 checkpoint

    Scenario: a reused checkpoint is announced as such in human mode
      Given the agent writes "more notes\n" to "notes.md"
      And the agent takes a checkpoint "second"
      When I run "savepoint checkpoint create --plan <plan>"
      Then the run succeeds
      And stdout contains "No change since checkpoint #2 <checkpoint:second>; reusing it (deduplicated)"
      And the plan has 2 checkpoints

    Scenario: staging a change is a change worth a new checkpoint
      Given the agent writes "more notes\n" to "notes.md"
      And the agent takes a checkpoint "unstaged"
      And the agent stages "notes.md"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the JSON "checkpointId" is not "<checkpoint:unstaged>"
      And the plan has 3 checkpoints

    Scenario: --force makes a new checkpoint even when nothing changed
      When I run "savepoint checkpoint create --plan <plan> --force --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the JSON "checkpointId" is not "<checkpoint:first>"
      And the plan has 2 checkpoints

    Scenario: taking a checkpoint does not disturb the worktree, the index, HEAD or the stash
      Given the stash holds a change to "notes.md"
      And the agent writes "console.log('staged');\n" to "src/app.js"
      And the agent stages "src/app.js"
      And the agent writes "console.log('unstaged');\n" to "src/app.js"
      And the agent writes "brand new\n" to "src/new.js"
      And the agent deletes "notes.md"
      And the agent makes "src/new.js" executable
      And I note the state of the sandbox as "before"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And "git status --porcelain" prints the same as in the state "before"
      And "git rev-parse HEAD" prints the same as in the state "before"
      And "git symbolic-ref HEAD" prints the same as in the state "before"
      And "git branch" prints the same as in the state "before"
      And "git stash list" prints the same as in the state "before"
      And "git ls-files -s" prints the same as in the state "before"
      And "git diff --cached" prints the same as in the state "before"
      And "git diff" prints the same as in the state "before"
      And the index file is byte-for-byte as in the state "before"
      And every file is as in the state "before"

    Scenario Outline: a checkpoint of an unknown plan is "not found" (<output>)
      When I run "savepoint checkpoint create --plan 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
      Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"
      And the error message contains "plan 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a plan that is <ended> takes no more checkpoints (<output>)
      Given the plan is <ended>
      And the agent writes "late change\n" to "notes.md"
      When I run "savepoint checkpoint create --plan <plan>" <output>
      Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
      And the error message contains "plan <plan> is <ended>"
      And the plan has 1 checkpoint

      Examples:
        | output        | ended     |
        | in human mode | applied   |
        | with --json   | applied   |
        | in human mode | abandoned |
        | with --json   | abandoned |

    Scenario Outline: an index with unresolved merge conflicts cannot be checkpointed (<output>)
      Given an unresolved merge conflict in "notes.md"
      And I note the state of the sandbox
      When I run "savepoint checkpoint create --plan <plan>" <output>
      Then it fails with exit code 4 and error code "INDEX_UNMERGED"
      And the error message contains "unresolved merge conflicts"
      And the sandbox is unchanged
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: checkpoint create needs --plan (<output>)
      When I run "savepoint checkpoint create" <output>
      Then it fails with exit code 2 and error code "USAGE"
      And the error message contains "Missing required flag plan"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

  Rule: listing and showing checkpoints

    Background:
      Given a git repository
      And an active plan

    Scenario: checkpoints are listed oldest first
      Given the agent writes "one\n" to "a.txt"
      And the agent takes a checkpoint "second"
      And the agent writes "two\n" to "a.txt"
      And the agent takes a checkpoint "third"
      When I run "savepoint checkpoint list --plan <plan> --json"
      Then the run succeeds
      And the JSON "planId" is "<plan>"
      And the JSON "checkpoints" has 3 items
      And the JSON "checkpoints" lists "seq" as [1, 2, 3]
      And the JSON "checkpoints" lists "checkpointId" as ["<checkpoint:first>", "<checkpoint:second>", "<checkpoint:third>"]
      And the JSON "checkpoints[2]" has the keys "checkpointId, seq, createdAt"
      And the JSON "checkpoints[0].createdAt" is an ISO timestamp

    Scenario: the human list is a table with the checkpoint ids
      Given the agent writes "one\n" to "a.txt"
      And the agent takes a checkpoint "second"
      When I run "savepoint checkpoint list --plan <plan>"
      Then the run succeeds
      And stdout contains "CHECKPOINT"
      And stdout contains "<checkpoint:first>"
      And stdout contains "<checkpoint:second>"
      And stdout contains "plan created"

    Scenario Outline: the checkpoints of an unknown plan are "not found" (<output>)
      When I run "savepoint checkpoint list --plan 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
      Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario: checkpoint show tells what was recorded
      When I run "savepoint checkpoint show <checkpoint:first> --json"
      Then the run succeeds
      And the JSON "planId" is "<plan>"
      And the JSON "seq" is 1
      And the JSON "checkpointType" is "commit"
      And the JSON "headRef" is "refs/heads/main"
      And the JSON "headSha" is a git object id
      And the JSON "filesystemPath" is "<repo>"

    Scenario Outline: showing an unknown checkpoint is "not found" (<output>)
      When I run "savepoint checkpoint show 01ARZ3NDEKTSV4RRFFQ69G5FAV" <output>
      Then it fails with exit code 3 and error code "CHECKPOINT_NOT_FOUND"
      And the error message contains "checkpoint 01ARZ3NDEKTSV4RRFFQ69G5FAV not found"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: checkpoint show needs a checkpoint id (<output>)
      When I run "savepoint checkpoint show" <output>
      Then it fails with exit code 2 and error code "USAGE"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

  Rule: any git worktree can be checkpointed, however unusual

    Scenario: a repository without any commit (unborn HEAD)
      Given a git repository with no commits
      And the agent writes "first file\n" to "a.txt"
      When I run "savepoint plan create --json"
      Then the run succeeds
      And the JSON "baseCommit" is null
      Given the agent writes "second file\n" to "b.txt"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the JSON "headSha" is null
      And the JSON "headRef" is "refs/heads/main"
      And "git rev-parse HEAD" prints "(exit 1)"
      And "git status --porcelain" prints "?? a.txt\n?? b.txt\n"

    Scenario Outline: --worktree needs a commit to branch from (<output>)
      Given a git repository with no commits
      When I run "savepoint plan create --worktree" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the error message contains "HEAD has no commit yet"

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario: a detached HEAD
      Given a git repository
      And HEAD is detached at the current commit
      And an active plan
      And the agent writes "on a detached head\n" to "a.txt"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the JSON "headRef" is null
      And the JSON "headSha" is a git object id
      And "git symbolic-ref HEAD" prints "(exit 1)"

    Scenario: a repository where no user identity is configured
      Given a git repository
      And the repository has no user identity
      And an active plan
      And the agent writes "anonymous work\n" to "a.txt"
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the JSON "commitSha" is a git object id

    Scenario Outline: a plan whose sandbox directory was deleted takes no checkpoint (<output>)
      Given a git repository
      And an active plan on a linked worktree
      When the plan's sandbox directory is deleted
      And I run "savepoint checkpoint create --plan <plan>" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the error message contains "does not exist"
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario Outline: a repository replaced by another one at the same path takes no checkpoint (<output>)
      Given a git repository
      And savepoint keeps its database in "<tmp>/state.db"
      And an active plan
      When the plan's sandbox is replaced by another repository at the same path
      And I run "savepoint checkpoint create --plan <plan>" <output>
      Then it fails with exit code 5 and error code "SANDBOX_INVALID"
      And the plan has 1 checkpoint

      Examples:
        | output        |
        | in human mode |
        | with --json   |

    Scenario: an untracked nested repository is skipped, not an error
      Given a git repository
      And an active plan
      And an untracked nested repository in "vendor/lib"
      And the agent writes "own work\n" to "a.txt"
      And I note the state of the sandbox
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "deduplicated" is false
      And the sandbox is unchanged
