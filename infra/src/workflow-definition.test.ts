import assert from "node:assert/strict";
import { test } from "node:test";
import { resolveDefinition } from "./workflow-definition.ts";

test("references become placeholders; pseudo parameters become local values", () => {
  const definition = {
    "Fn::Join": [
      "",
      [
        '{"A":"',
        { "Fn::GetAtt": ["Fn1", "Arn"] },
        '","B":"arn:',
        { Ref: "AWS::Partition" },
        ':states:::ecs:runTask.sync","C":"',
        { Ref: "Subnet1" },
        '"}',
      ],
    ],
  };
  const placeholders = new Map([
    ["Fn1.Arn", "arn:aws:lambda:local:000000000000:function:snapshot"],
    ["Subnet1", "subnet-local-1"],
  ]);
  assert.deepEqual(JSON.parse(resolveDefinition(definition, placeholders)), {
    A: "arn:aws:lambda:local:000000000000:function:snapshot",
    B: "arn:aws:states:::ecs:runTask.sync",
    C: "subnet-local-1",
  });
});

test("a plain string definition is returned as is", () => {
  assert.equal(resolveDefinition('{"StartAt":"A"}', new Map()), '{"StartAt":"A"}');
});

test("a reference without a placeholder is an error, not a silent gap", () => {
  const definition = { "Fn::Join": ["", ['{"A":"', { Ref: "SomethingNew" }, '"}']] };
  assert.throws(() => resolveDefinition(definition, new Map()), /no local placeholder for \{"Ref":"SomethingNew"\}/);
  assert.throws(() => resolveDefinition({ "Fn::Sub": "x" }, new Map()), /unexpected DefinitionString/);
});
