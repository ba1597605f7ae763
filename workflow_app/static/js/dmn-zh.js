// dmn-js in Chinese: a translate module (dmn-js calls translate(text, replacements) for its labels).
(function () {
  "use strict";
  var zh = {
    "Activate hand tool": "抓手工具（拖动画布）", "Activate lasso tool": "套索工具", "Add cell description": "添加单元格说明",
    "Add input column left": "在左侧添加输入列", "Add input column right": "在右侧添加输入列", "Add input": "添加输入",
    "Add output column left": "在左侧添加输出列", "Add output column right": "在右侧添加输出列", "Add output": "添加输出",
    "Add predefined values": "添加预定义值", "Add rule above": "在上方添加规则", "Add rule below": "在下方添加规则",
    "Add rule": "添加规则", "Add values": "添加值", "After": "之后", "And": "且", "Annotation": "注释", "Annotations": "注释",
    "Before": "之前", "Between": "介于", "Boolean value": "布尔值", "Change cell expression language": "更改单元格表达式语言",
    "Change type": "更改类型", "Clear predefined values": "清除预定义值", "Comparison operator": "比较运算符",
    "Comparison": "比较", "Copy input column": "复制输入列", "Copy output column": "复制输出列", "Copy rule": "复制规则",
    "Create decision": "创建决策", "Create input data": "创建输入数据", "Custom values": "自定义值",
    "Cut input column": "剪切输入列", "Cut output column": "剪切输出列", "Cut rule": "剪切规则", "Decision name": "决策名称",
    "Decision name: ": "决策名称：", "Definition ID": "定义标识", "Definition name": "定义名称", "Delete": "删除",
    "Edit": "编辑", "Edit boolean": "编辑布尔值", "Edit input": "编辑输入", "Edit number": "编辑数值", "Edit output": "编辑输出",
    "Edit string": "编辑字符串", "Element name": "元素名称", "Enter expression": "输入表达式", "Equals": "等于",
    "Exactly": "恰好", "Exclude": "排除", "Expression language": "表达式语言", "Expression language:": "表达式语言：",
    "Expression": "表达式", "Greater or equals": "大于等于", "Greater": "大于", "Hit policy": "命中策略",
    "Hit policy:": "命中策略：", "Include": "包含", "Input expression": "输入表达式", "Input expression: ": "输入表达式：",
    "Input label": "输入标签", "Input label: ": "输入标签：", "Input type": "输入类型", "Input values": "输入取值",
    "Input": "输入", "Less or equals": "小于等于", "Less": "小于", "Match none": "不匹配", "Match one": "匹配其一",
    "Move rule": "移动规则", "No values": "无取值", "No": "否", "Output label": "输出标签", "Output label: ": "输出标签：",
    "Output name": "输出名称", "Output name: ": "输出名称：", "Output type": "输出类型", "Output values": "输出取值",
    "Output": "输出", "Paste input column left": "粘贴到左侧输入列", "Paste input column right": "粘贴到右侧输入列",
    "Paste output column left": "粘贴到左侧输出列", "Paste output column right": "粘贴到右侧输出列",
    "Paste rule above": "粘贴到上方", "Paste rule below": "粘贴到下方", "Predefined values": "预定义值", "Range": "区间",
    "Remove cell description": "删除单元格说明", "Remove input column": "删除输入列", "Remove output column": "删除输出列",
    "Remove rule": "删除规则", "Resize": "调整大小", "Search in diagram": "在图中搜索", "Set value": "设置值",
    "String value": "字符串值", "Strings must be in double quotes": "字符串须用双引号", "Test type": "测试类型",
    "Then": "则", "Type": "类型", "Value": "值", "Values": "取值", "Variable name": "变量名", "Variable name:": "变量名：",
    "Variable type": "变量类型", "Variable type:": "变量类型：", "View DRD": "查看决策需求图", "When": "当", "Yes": "是",
    "Literal expression": "字面表达式", "Literal expression editor": "字面表达式编辑器",
    "Unique": "唯一命中", "First": "首个命中", "Priority": "按优先级", "Any": "任一命中", "Collect": "收集全部",
    "Rule order": "按规则顺序", "Output order": "按输出顺序"
  };
  function translate(template, replacements) {
    var text = zh[template] || template;
    replacements = replacements || {};
    return text.replace(/{([^}]+)}/g, function (_, key) { return key in replacements ? replacements[key] : "{" + key + "}"; });
  }
  window.socorgDmnZh = { translate: ["value", translate] };
})();
